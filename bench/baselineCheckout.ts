// A benchmark's baseline: another commit of this repository, built beside this checkout, so that a
// bench can measure it side by side with the code as it is.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Writes `ref`'s files into `dir` (git archive, no .git), links this checkout's node_modules and builds. */
export function buildCheckout(root: string, ref: string, dir: string): void {
  execFileSync('sh', ['-c', `git -C "${root}" archive "${ref}" | tar -x -C "${dir}"`]);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: dir, stdio: 'ignore' });
}
