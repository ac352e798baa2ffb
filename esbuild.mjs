// One build script for every entry point. Entries whose source does not exist yet are skipped,
// so the tree builds at every stage. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(root, 'dist');
const watch = process.argv.includes('--watch');
const exists = (p) => fs.existsSync(path.join(root, p));

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
};
const builds = [];
const add = (src, out, opts) => {
  if (exists(src)) builds.push({ entryPoints: [path.join(root, src)], outfile: path.join(dist, out), ...opts });
};

add('src/engine/cli.ts', 'cli.js', { ...node, banner: { js: '#!/usr/bin/env node' }, external: ['esbuild'] });
// onnxruntime-node is a native addon, required at run time by ONNX agents only.
add('src/runner/main.ts', 'runner.js', { ...node, external: ['esbuild', 'onnxruntime-node'] });
add('src/extension/extension.ts', 'extension.js', { ...node, external: ['vscode'] });
add('src/server/server.ts', 'server.js', { ...node });
add('webview/main.ts', 'webview/main.js', {
  bundle: true,
  // the page carries the bundle inline (replayHtml): minified, it is less to send and to parse
  minify: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
  sourcemap: 'linked',
  logLevel: 'warning',
  // when the page's script began (before chart.js and the modules run): the open benchmark's phases
  banner: { js: "performance.mark('replay/script-start');" },
});

// Built-in scenarios: each module bundled on its own (the runner loads them like user modules);
// scenario files copied as they are (module paths carry no extension, so .ts and .js both resolve).
const scenDir = path.join(root, 'src/scenarios');
const copies = [];
if (fs.existsSync(scenDir)) {
  for (const name of fs.readdirSync(scenDir)) {
    const dir = path.join(scenDir, name);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir)) {
      if (f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
        add(`src/scenarios/${name}/${f}`, `scenarios/${name}/${f.replace(/\.ts$/, '.js')}`, node);
      else if (f.endsWith('.json')) copies.push([path.join(dir, f), path.join(dist, 'scenarios', name, f)]);
    }
  }
}
// The Python runner ships as source.
const pyDir = path.join(root, 'src/runner/python');
if (fs.existsSync(pyDir))
  for (const f of fs.readdirSync(pyDir))
    if (f.endsWith('.py')) copies.push([path.join(pyDir, f), path.join(dist, 'runner/python', f)]);

function copyAll() {
  for (const [from, to] of copies) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
}

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
  copyAll();
  console.log(`watching ${builds.length} entry points`);
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  copyAll();
}
