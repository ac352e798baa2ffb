// The server bundle the LSP process tests start: dist/server.js when it is at least as new as every
// source it bundles (after `npm run build`), otherwise a fresh bundle of src/server/server.ts made
// with the same esbuild options, so these tests never run a stale server.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of ['src/server', 'src/shared', 'src/core']) walk(path.join(root, d));
  return newest;
}

export async function serverBundle(): Promise<string> {
  const dist = path.join(root, 'dist/server.js');
  const newest = newestSource();
  if (fs.existsSync(dist) && fs.statSync(dist).mtimeMs >= newest) return dist;
  // One bundle per source state, reused by every test file of a run instead of one temp dir each.
  const out = path.join(os.tmpdir(), `om-lsp-bundle-${Math.floor(newest)}`, 'server.js');
  if (fs.existsSync(out)) return out;
  await esbuild.build({
    entryPoints: [path.join(root, 'src/server/server.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
  });
  return out;
}
