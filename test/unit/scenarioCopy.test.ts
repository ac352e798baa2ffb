// Tests copy exactly the files they use (test/scenarioCopy.ts): a calibration or a .objective-monitor/
// folder left beside an example by running the product by hand never reaches a test's copy. Checked on
// a copy of examples/ with such leftovers planted beside every scenario.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { copyScenario, scenarioFiles } from '../scenarioCopy';

const EXAMPLES = path.resolve(__dirname, '../../examples');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'om-scenario-copy-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every *.scenario.json under `dir`, skipping what the product writes. */
function scenariosUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.scenario.json') && !f.split(path.sep).includes('.objective-monitor'))
    .map((f) => path.join(dir, f))
    .sort();
}

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

test('the copy of each example holds its scenario and modules only, whatever was left beside it', () => {
  const polluted = path.join(tmp, 'examples');
  fs.cpSync(EXAMPLES, polluted, { recursive: true });
  const scenarios = scenariosUnder(polluted);
  assert.ok(scenarios.length >= 4, scenarios.join(', '));
  for (const file of scenarios) {
    const dir = path.dirname(file);
    const name = path.basename(file, '.scenario.json');
    // What UI and CLI runs leave: a calibration per agent (here a broken one) and an output folder.
    fs.writeFileSync(path.join(dir, `${name}.aligned.calibration.json`), '{ "left": "by hand"');
    fs.writeFileSync(path.join(dir, `${name}.misaligned.calibration.json`), '{}');
    fs.mkdirSync(path.join(dir, '.objective-monitor', 'traces', 'r1'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.objective-monitor', 'traces', 'r1', 'e1.trace.jsonl'), '{"type":"header"}\n');

    const to = path.join(tmp, 'copies', path.relative(polluted, dir));
    if (scenarioFiles(file).some((f) => f.startsWith('..'))) {
      // A scenario that borrows a sibling example's modules: the helper refuses rather than guess a layout.
      assert.throws(() => copyScenario(file, to), /outside the scenario's folder; copy it on its own/);
      continue;
    }
    const copied = copyScenario(file, to);
    assert.equal(copied, path.join(to, `${name}.scenario.json`));
    const got = filesUnder(to);
    assert.deepEqual(got, [...scenarioFiles(file)].sort(), `${name}: exactly the scenario and its modules`);
    assert.ok(
      !got.some((f) => f.includes('calibration') || f.includes('.objective-monitor')),
      `${name}: ${got.join(', ')}`,
    );
    assert.ok(got.length >= 4, `${name}: scenario, environment, agents, objective (${got.join(', ')})`);
  }
});

test('files a module imports come when named; a path outside the scenario folder is refused', () => {
  const lake = path.join(EXAMPLES, 'gymnasium', 'frozenlake', 'frozenlake.scenario.json');
  const to = path.join(tmp, 'lake');
  copyScenario(lake, to, ['lakeDistance.py']);
  assert.ok(fs.existsSync(path.join(to, 'lakeDistance.py')));
  assert.throws(
    () => copyScenario(lake, path.join(tmp, 'lake2'), ['../cartpole/aligned.py']),
    /outside the scenario's folder/,
  );
});
