// Runs every benchmark (bench/*.bench.ts) and writes bench/RESULTS.md: the machine, the date,
// and each benchmark's markdown. Benchmarks report; they never fail on a time.
// `node bench/run.mjs [name...]` runs only the named ones (and leaves RESULTS.md alone).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..');
const only = process.argv.slice(2);
const files = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
  .filter((f) => !only.length || only.some((o) => f.startsWith(o)));
const sections = [];
for (const f of files) {
  process.stderr.write(`bench: ${f}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', path.join(here, f)], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    sections.push(`## ${f}\n\nFAILED (exit ${r.status}):\n\n\`\`\`\n${(r.stderr || '').slice(-2000)}\n\`\`\`\n`);
    continue;
  }
  process.stdout.write(r.stdout + '\n');
  sections.push(r.stdout.trim() + '\n');
}
if (!only.length) {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const head =
    `# Benchmark results\n\nMachine: ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}.\n` +
    `Date: ${new Date().toISOString().slice(0, 10)}. Produced by \`npm run bench\`; ratios are measured side by side in one run (absolute times drift 2x between runs on these shared VMs).\n`;
  fs.writeFileSync(path.join(here, 'RESULTS.md'), [head, ...sections].join('\n'));
}
