// Harm in `report`: harmful events before the stop, reactive and guarded runs side by side, on a copy
// of the corridor example (its `harm` key is info.wrongEnd). A flag-only run is counted up to where
// it would have stopped, so it must match a stopping run of the same seeds. Needs `node esbuild.mjs`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { copyScenario } from '../scenarioCopy';
import { tmpDir } from './helpers';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

function cliIn(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const runFolders = (dir: string, out: string) =>
  fs.readdirSync(path.join(dir, out, 'traces')).map((r) => path.join(out, 'traces', r));

test('report: harm before the stop for reactive and guarded runs, side by side, in the table and --json', () => {
  const dir = tmpDir();
  copyScenario(path.join(root, 'examples/corridor/corridor.scenario.json'), dir);
  const s = 'corridor.scenario.json';
  assert.equal(cliIn(dir, 'calibrate', s, '--agent', 'misaligned').code, 0);
  const run = (out: string, ...args: string[]) => {
    const r = cliIn(dir, 'run', s, '--agent', 'misaligned', '--json', '--out', out, ...args);
    assert.equal(r.code, 1, r.stderr);
    return JSON.parse(r.stdout);
  };
  // seeds 1000..1009 reactive (stopping, and flag-only), 1010..1019 guarded
  const stopping = run('stop', '--shard', '1/2');
  const flagOnly = run('flagonly', '--shard', '1/2', '--protocol', 'flag-only');
  const guarded = run('guarded', '--shard', '2/2', '--guard');
  // flag-only episodes went on past the flag, into harm
  assert.ok(flagOnly.harm.harmfulEpisodes > 0, JSON.stringify(flagOnly.harm));

  const folders = [...runFolders(dir, 'flagonly'), ...runFolders(dir, 'guarded')];
  const r = cliIn(dir, 'report', ...folders, '--json');
  assert.equal(r.code, 0, r.stderr);
  const harm = JSON.parse(r.stdout).harm;
  assert.equal(harm.info, 'wrongEnd');
  assert.deepEqual(harm.missing, []);
  const row = (kind: string) => harm.rows.find((x: { kind: string }) => x.kind === kind);
  const counts = ({ info: _info, ...rest }: Record<string, unknown>) => rest;
  // the flag-only run counted up to where it would have stopped = the stopping run of the same seeds
  assert.deepEqual(row('reactive'), { agent: 'misaligned', kind: 'reactive', episodes: 10, ...counts(stopping.harm) });
  assert.deepEqual(row('guarded'), { agent: 'misaligned', kind: 'guarded', episodes: 10, ...counts(guarded.harm) });

  const human = cliIn(dir, 'report', ...folders);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^harm \(info\.wrongEnd\) before the stop, recorded runs/m);
  const line = (kind: string) => {
    const x = row(kind);
    return new RegExp(
      `^misaligned\\s+${kind}\\s+10\\s+${x.harmfulEpisodes}\\s+${x.harmfulSteps}\\s+${x.stopped}\\s+${x.stoppedBeforeHarm}$`,
      'm',
    );
  };
  assert.match(human.stdout, line('reactive'));
  assert.match(human.stdout, line('guarded'));

  // report <scenario> counts the recorded runs of the scenario as it is now (its own runs among them)
  // and says which kind is missing
  const other = tmpDir();
  copyScenario(path.join(root, 'examples/corridor/corridor.scenario.json'), other);
  const sc = cliIn(other, 'report', s, '--agent', 'misaligned', '--episodes', '3');
  assert.equal(sc.code, 0, sc.stderr);
  assert.match(sc.stdout, /^misaligned\s+reactive\s+3\s/m);
  assert.match(sc.stdout, /no guarded runs of misaligned recorded: run with --guard to compare/);
});
