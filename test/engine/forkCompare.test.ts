// The replay panel's fork comparison (src/extension/forkCompare.ts) on real traces: a parent run and a
// fork made by the command-line tool on a copy of the cliff fixture. What the panel marks must agree
// with what the engine reported (the fork step, the first different action) and with the traces' own
// running objectives (the gap), seen from either side of the pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AS_RECORDED } from '../../src/core/reflag';
import { readTrace } from '../../src/core/traceReader';
import { compareFork } from '../../src/extension/forkCompare';
import { TraceCache } from '../../src/extension/traceCache';
import { copyScenario } from '../scenarioCopy';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

function om(cwd: string, ...args: string[]): { code: number | null; out: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  assert.ok(r.status === 0 || r.status === 1, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return { code: r.status, out: JSON.parse(r.stdout) };
}

test('fork comparison: fork point, first different action and the gap, from the parent and from the fork', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-forkcmp-'));
  try {
    copyScenario(path.join(root, 'test/fixtures/fork/cliff.scenario.json'), dir);
    const run = om(dir, 'run', 'cliff.scenario.json', '--agent', 'push', '--seed', '1', '--json');
    const parentFile = (run.out.episodes as { trace: string }[])[0].trace;
    const fork = om(dir, 'fork', parentFile, '--step', '4', '--agent', 'back', '--json').out as {
      trace: string;
      firstDifferentAction: number;
      finalScore: number;
      flaggedStep: number | null;
    };
    const store = new TraceCache();
    const parent = await store.load(parentFile);
    const child = await store.load(fork.trace);

    const fromParent = await compareFork(store, parent, child, AS_RECORDED);
    assert.ok(fromParent);
    assert.equal(fromParent.role, 'fork');
    assert.equal(fromParent.forkStep, 4);
    assert.equal(fromParent.forkAgent, 'back');
    assert.equal(fromParent.firstDifferentAction, fork.firstDifferentAction, 'the engine found the same step');
    // unflagged, the fork is compared at its end; the parent stopped at its flag and is taken at its last step
    const p = readTrace(fs.readFileSync(parentFile));
    const f = readTrace(fs.readFileSync(fork.trace));
    assert.equal(fork.flaggedStep, null);
    assert.deepEqual(fromParent.gap, {
      step: f.steps.length - 1,
      at: 'end',
      fork: fork.finalScore,
      parent: p.steps[p.steps.length - 1].score,
    });

    const fromFork = await compareFork(store, child, parent, AS_RECORDED);
    assert.deepEqual(fromFork, { ...fromParent, role: 'parent', otherEpisodeId: p.header!.episodeId });

    // two episodes of which neither forked the other are no pair
    const other = om(dir, 'run', 'cliff.scenario.json', '--agent', 'back', '--seed', '1', '--json');
    const unrelated = await store.load((other.out.episodes as { trace: string }[])[0].trace);
    assert.equal(await compareFork(store, parent, unrelated, AS_RECORDED), null);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
