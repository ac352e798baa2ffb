// The engine as it ships: src/engine/index.ts bundled by esbuild with the options of the CLI's bundle
// (esbuild.mjs), loaded from a folder whose other entries link to dist/ (so the engine finds the built
// runner beside it, as dist/cli.js does). Benchmarks that compare the engine with a loop in process
// run this, not the sources through tsx: tsx compiles each module to CommonJS, where every use of an
// imported function is a getter call, a cost the shipped bundle (one scope) does not have.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import type * as EngineModule from '../src/engine/index';
import { tempDir } from '../test/tempDirs';

type Engine = typeof EngineModule;

export function shippedEngine(): Engine {
  const root = path.resolve(__dirname, '..');
  const dist = path.join(root, 'dist');
  if (!fs.existsSync(path.join(dist, 'runner.js'))) throw new Error(`no ${dist}/runner.js: run \`node esbuild.mjs\``);
  const dir = tempDir('om-bench-engine-');
  for (const name of fs.readdirSync(dist)) fs.symlinkSync(path.join(dist, name), path.join(dir, name));
  const out = path.join(dir, 'engine.js');
  esbuild.buildSync({
    entryPoints: [path.join(root, 'src/engine/index.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['esbuild'],
    logLevel: 'warning',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(out) as Engine;
}
