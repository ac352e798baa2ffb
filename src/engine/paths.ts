// Names and files: run ids, episode ids and trace paths (one safe path component each, always
// inside the traces folder), module paths given without an extension, file hashes, and where the
// runner programs live (beside the bundled engine in dist/, or in dist/ when running from source).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MODULE_EXTENSIONS } from '../core/moduleApi';
import { TRACE_EXTENSION } from '../core/traceFormat';

const SAFE_COMPONENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSafeComponent(name: string): boolean {
  return SAFE_COMPONENT.test(name) && name !== '.' && name !== '..' && !name.includes('..');
}

/** e.g. 20240611-142233-123-a1b2c3: sortable by time, unique by the random tail. */
export function makeRunId(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}-${p(now.getMilliseconds(), 3)}`;
  return `${stamp}-${crypto.randomBytes(3).toString('hex')}`;
}

export function episodeIdFor(seed: number): string {
  return `seed-${seed}`;
}

/** <tracesDir>/<runId>/<episodeId>.trace.jsonl, refusing anything that is not one plain component. */
export function tracePath(tracesDir: string, runId: string, episodeId: string): string {
  for (const c of [runId, episodeId])
    if (!isSafeComponent(c)) throw new Error(`unsafe trace path component: ${JSON.stringify(c)}`);
  const root = path.resolve(tracesDir);
  const p = path.join(root, runId, episodeId + TRACE_EXTENSION);
  if (path.relative(root, p).startsWith('..')) throw new Error(`trace path escapes the traces folder: ${p}`);
  return p;
}

/** The file a module reference names, relative to `dir`; tries the extensions when `spec` has none
 *  of them. Throws an error naming every candidate tried. */
export function resolveModulePath(dir: string, spec: string): string {
  const base = path.resolve(dir, spec);
  const ext = path.extname(base);
  const candidates = MODULE_EXTENSIONS.includes(ext) ? [base] : [base, ...MODULE_EXTENSIONS.map((e) => base + e)];
  for (const c of candidates) {
    try {
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // next candidate
    }
  }
  throw new Error(
    `module "${spec}" not found from ${dir} (tried ${candidates.map((c) => path.basename(c)).join(', ')})`,
  );
}

/** sha256 of a file's bytes, hex. */
export function hashFile(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** dist/ of this package: beside the bundle (dist/cli.js), or ../../dist from src/engine when run from source. */
export function distDir(): string {
  const candidates = [__dirname, path.resolve(__dirname, '../../dist')];
  for (const d of candidates) if (fs.existsSync(path.join(d, 'runner.js'))) return d;
  throw new Error(`the runner is not built: no runner.js in ${candidates.join(' or ')} (run \`node esbuild.mjs\`)`);
}
