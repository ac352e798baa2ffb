// Runs the plain-Node test tiers with node's test runner (TypeScript through tsx).
// `node test/run.mjs [unit|engine|...]` runs only the named tiers; no argument runs them all.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'engine'];
const files = [];
const walk = (dir) => {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.test\.ts$/.test(e.name)) files.push(path.relative(root, p));
  }
};
for (const t of tiers) walk(path.join(root, 'test', t));
if (!files.length) {
  console.error(`no test files in ${tiers.join(', ')}`);
  process.exit(1);
}
files.sort();
const r = spawnSync(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
