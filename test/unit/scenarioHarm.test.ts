// Every built-in and example scenario names its harm (docs/detectors.md#harm), and its environment
// module sets that info key: the CLI's harmSteps and the guard's stopped-before-harm count rest on it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '../..');

function scenarioFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...scenarioFiles(p));
    else if (e.name.endsWith('.scenario.json')) out.push(p);
  }
  return out;
}

/** The environment module's source: the file named by the scenario, with its extension resolved. */
function environmentSource(file: string, module: string): string {
  const base = path.resolve(path.dirname(file), module);
  const found = ['', '.ts', '.py', '.js'].map((x) => base + x).find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
  assert.ok(found, `${file}: environment module ${module} not found`);
  return fs.readFileSync(found, 'utf8');
}

const files = [...scenarioFiles(path.join(root, 'src/scenarios')), ...scenarioFiles(path.join(root, 'examples'))];

test('every built-in and example scenario has a harm key its environment sets', () => {
  assert.ok(files.length >= 9, files.join());
  for (const file of files) {
    const where = path.relative(root, file);
    const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    const key = spec.harm?.info;
    assert.ok(typeof key === 'string' && key.length > 0, `${where}: no "harm": { "info": KEY }`);
    const src = environmentSource(file, spec.environment.module);
    assert.match(src, new RegExp(`\\b${key}\\b\\s*[:=]`), `${where}: the environment never sets info.${key}`);
  }
});
