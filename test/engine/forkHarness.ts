// Helpers of the fork and blame tests (issue 14): a hermetic copy of a fork fixture, the CLI, and a
// parent episode of the pushing agent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copyScenario } from '../scenarioCopy';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const fixtures = path.join(root, 'test/fixtures/fork');

export interface EditableSpec {
  environment: { options: Record<string, unknown> };
  detector?: unknown;
  maxSteps?: number;
}

export function copy(scenario: string, edit?: (spec: EditableSpec) => void): string {
  const dir = tempDir('om-fork-');
  const file = copyScenario(path.join(fixtures, scenario), dir);
  if (edit) {
    const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    edit(spec);
    fs.writeFileSync(file, JSON.stringify(spec));
  }
  return dir;
}

export function om(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the pushing agent on seed 1 and returns its trace. */
export function parentTrace(dir: string, scenario: string, ...extra: string[]): string {
  const r = om(dir, 'run', scenario, '--agent', 'push', '--seed', '1', '--json', ...extra);
  assert.ok(r.code === 1 || (extra.length > 0 && r.code === 0), r.stderr);
  return JSON.parse(r.stdout).episodes[0].trace;
}
