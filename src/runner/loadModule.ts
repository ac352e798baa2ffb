// Loads a user module file. Every kind (.ts, .mts, .js, .mjs, .cjs) goes through one path: esbuild
// bundles the entry (relative imports included, so a TS helper imported by a TS module works; npm
// packages stay external and are required at run time from the module's own folder) into CommonJS
// with an inline source map, which is compiled as a CommonJS module named after the original file.
// One path for all kinds keeps ESM/CJS interop and error positions uniform.
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import type * as EsbuildApi from 'esbuild';
import { JS_MODULE_EXTENSIONS } from '../core/moduleApi';
import type { UserError } from '../core/traceFormat';
import { toUserError } from './userError';

/** Thrown when a module cannot be loaded; carries the UserError to report. */
export class LoadError extends Error {
  constructor(readonly userError: UserError) {
    super(userError.message);
  }
}

/** The file a module path names: the path itself, else with each known extension appended. */
export function resolveModuleFile(spec: string): string {
  const tried: string[] = [];
  const candidates =
    path.extname(spec) && JS_MODULE_EXTENSIONS.includes(path.extname(spec))
      ? [spec]
      : [spec, ...JS_MODULE_EXTENSIONS.map((e) => spec + e)];
  for (const c of candidates) {
    tried.push(c);
    try {
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // try the next candidate
    }
  }
  throw new LoadError({
    message: `module not found: ${spec} (tried ${tried.map((t) => path.basename(t)).join(', ')})`,
    file: spec,
    phase: 'load',
  });
}

interface EsbuildMessage {
  text: string;
  location: { file: string; line: number; column: number; lineText?: string } | null;
}
interface EsbuildFailure {
  errors?: EsbuildMessage[];
}

type Esbuild = typeof EsbuildApi;
let esbuildModule: Esbuild | null = null;
function esbuild(): Esbuild {
  // Required lazily: a runner that only serves cached modules never pays for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
  if (!esbuildModule) esbuildModule = require('esbuild') as Esbuild;
  return esbuildModule;
}

function compile(file: string): string {
  const dir = path.dirname(file);
  try {
    const out = esbuild().buildSync({
      entryPoints: [file],
      absWorkingDir: dir,
      outfile: path.join(dir, '__objective_monitor_out.js'),
      write: false,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      define: { 'import.meta.url': '__om_import_meta_url' },
      banner: { js: 'var __om_import_meta_url = require("url").pathToFileURL(__filename).href;' },
    });
    return out.outputFiles[0].text;
  } catch (e) {
    const first = (e as EsbuildFailure).errors?.[0];
    if (first) {
      const loc = first.location;
      const where = loc ? path.resolve(dir, loc.file) : file;
      const err: UserError = {
        message: loc ? `${where}:${loc.line}:${loc.column + 1}: ${first.text}` : `${file}: ${first.text}`,
        file: where,
        phase: 'load',
      };
      if (loc) {
        err.line = loc.line;
        err.column = loc.column + 1;
      }
      throw new LoadError(err);
    }
    throw new LoadError({ ...toUserError(e, 'load'), file });
  }
}

interface InternalModule {
  filename: string;
  paths: string[];
  exports: unknown;
  loaded: boolean;
  _compile(code: string, filename: string): void;
}
const ModuleCtor = Module as unknown as {
  new (id: string, parent: unknown): InternalModule;
  _nodeModulePaths(dir: string): string[];
};

const cache = new Map<string, unknown>();

/** The module's exports, compiled once per runner process (then cached by absolute path). */
export function loadModuleExports(spec: string): { file: string; exports: unknown } {
  const file = resolveModuleFile(spec);
  if (cache.has(file)) return { file, exports: cache.get(file) };
  const code = compile(file);
  const m = new ModuleCtor(file, null);
  m.filename = file;
  m.paths = ModuleCtor._nodeModulePaths(path.dirname(file));
  try {
    m._compile(code, file);
  } catch (e) {
    throw new LoadError(toUserError(e, 'load'));
  }
  m.loaded = true;
  cache.set(file, m.exports);
  return { file, exports: m.exports };
}

/** The default-export factory of a module. */
export function factoryOf(file: string, exports: unknown, role: string): (options: Record<string, unknown>) => unknown {
  const ex = exports as { default?: unknown } | null;
  if (ex && typeof ex === 'object' && typeof ex.default === 'function')
    return ex.default as (o: Record<string, unknown>) => unknown;
  if (typeof exports === 'function') return exports as (o: Record<string, unknown>) => unknown;
  throw new LoadError({
    message: `${file}: the ${role} module must default-export a factory function (options) => ${role}; found ${ex && typeof ex === 'object' && 'default' in ex ? typeof ex.default : 'no default export'}`,
    file,
    phase: 'load',
  });
}
