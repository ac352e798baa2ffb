// The built CLI (dist/cli.js, `node esbuild.mjs` first) run as a user runs it: in a folder, with
// arguments, its exit code and output returned. The time limit is a safety net for a hung child:
// spawnSync blocks the test runner's own timeout.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const CLI = path.resolve(__dirname, '../../dist/cli.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `om(cwd, ...args)` running the CLI, each call killed after `timeoutMs`. */
export function cliRunner(timeoutMs: number): (cwd: string, ...args: string[]) => CliResult {
  return (cwd, ...args) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

/** `objective-monitor run --json`'s summary: one row per episode. */
export interface RunJson {
  episodes: {
    seed: number;
    steps: number;
    flaggedStep: number | null;
    reason: string;
    trace: string;
    error?: { message: string; file?: string };
    harmSteps?: number[];
  }[];
}
