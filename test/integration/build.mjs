// Bundles the integration suite for the extension host: index.js (mocha's entry, run() called by
// VS Code) and one file per suite/*.test.ts. `vscode` is the host's; mocha is required from node_modules.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../..');
const out = path.join(root, 'out/test/integration');
fs.rmSync(out, { recursive: true, force: true });
const suites = fs
  .readdirSync(path.join(here, 'suite'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => path.join(here, 'suite', f));
await esbuild.build({
  entryPoints: [path.join(here, 'index.ts'), ...suites],
  outdir: out,
  outbase: here,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
console.log(`integration suite: ${suites.length} files -> ${path.relative(root, out)}`);
