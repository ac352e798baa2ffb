// Exits 0 when node_modules holds every package of package-lock.json at its locked version (what
// `npm ci` would install), else prints the first difference and exits 1. setup.sh runs `npm ci` only
// then. It compares contents, not modification times: a fresh checkout's lockfile is newer than
// anything, which made every set-up reinstall.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));

for (const [key, meta] of Object.entries(lock.packages ?? {})) {
  if (!key.startsWith('node_modules/') || meta.link) continue;
  let installed;
  try {
    installed = JSON.parse(fs.readFileSync(path.join(root, key, 'package.json'), 'utf8')).version;
  } catch {
    installed = undefined;
  }
  if (installed === meta.version) continue;
  // Optional packages for other platforms (esbuild's binaries) are never installed here.
  if (installed === undefined && meta.optional) continue;
  console.log(`${key}: locked ${meta.version}, installed ${installed ?? 'nothing'}`);
  process.exit(1);
}
