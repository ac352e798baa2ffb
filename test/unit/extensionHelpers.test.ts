// Pure parts of the extension's commands: where Create Example Scenario may write and what it names
// the scenario, and what a finished calibration is reported as (read from its file).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { exampleFiles, exampleFolderProblem, scenarioFileName, uniqueName } from '../../src/extension/exampleScenario';
import { calibrationSummary, calibrationTable, readCalibrationResult } from '../../src/extension/calibrationResult';

test('the example gets the first name no scenario has, and its files carry it', () => {
  assert.equal(
    uniqueName('corridor', () => false),
    'corridor',
  );
  const taken = new Set(['corridor', 'corridor-2']);
  assert.equal(
    uniqueName('corridor', (n) => taken.has(n)),
    'corridor-3',
  );
  const files = exampleFiles('corridor-3');
  assert.equal(JSON.parse(files[scenarioFileName('corridor-3')]).name, 'corridor-3');
  assert.ok(!('corridor.scenario.json' in files));
  assert.match(files['README.md'], /^# Objective Monitor example: corridor-3/);
});

test('the example folder must be inside the workspace and must not hold a file it would write', () => {
  const root = '/w';
  const files = Object.keys(exampleFiles());
  const none = () => false;
  assert.equal(exampleFolderProblem(root, 'objective-monitor-example', files, none), null);
  assert.equal(exampleFolderProblem(root, '/w/a/b', files, none), null);
  assert.equal(exampleFolderProblem(root, '.', files, none), null);
  assert.match(exampleFolderProblem(root, '  ', files, none)!, /Enter a folder/);
  assert.match(exampleFolderProblem(root, '../x', files, none)!, /\/x is outside the workspace folder \/w/);
  assert.match(exampleFolderProblem(root, '/elsewhere', files, none)!, /outside the workspace folder/);
  const existing = new Set(['/w/ex/environment.ts', '/w/ex/agents/aligned.ts']);
  assert.equal(
    exampleFolderProblem(root, 'ex', files, (p) => existing.has(p)),
    'ex already has environment.ts, agents/aligned.ts: choose another folder (nothing is overwritten).',
  );
});

test('a calibration is reported from its file: thresholds per detector, episodes used, the false-alarm bound', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-cal-'));
  try {
    const det = (h: number, guaranteed = true) => ({
      h,
      k: 1,
      n: 30,
      bound: 1 / 31,
      guaranteed,
      model: { mean: [], sd: [] },
      params: {},
    });
    const file = path.join(dir, 'c.calibration.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        alpha: 0.05,
        fitEpisodes: 30,
        conformalEpisodes: 30,
        warnings: ['w1'],
        detectors: { envelope: det(-15.61), window: det(-15.61), cusum: det(6.122, false) },
      }),
    );
    const r = readCalibrationResult(file);
    assert.deepEqual(
      r.detectors.map((d) => [d.kind, d.threshold, d.guaranteed]),
      [
        ['envelope', -15.61, true],
        ['window', -15.61, true],
        ['cusum', 6.122, false],
      ],
    );
    assert.equal(
      calibrationSummary(r),
      'thresholds envelope -15.61, window -15.61, cusum 6.122; 60 episodes used (30 held out); false-alarm bound 1/31 = 0.03226 (alpha 0.05); NOT guaranteed for cusum: too few held-out episodes',
    );
    const table = calibrationTable('corridor / misaligned', r);
    assert.match(table, /cusum +threshold +6\.122 +false-alarm bound 1\/31 = 0\.03226 +\(NOT guaranteed/);
    assert.match(table, /warning: w1/);
    assert.match(table, new RegExp(`saved to ${file.replace(/[.]/g, '\\.')}`));

    fs.writeFileSync(file, '{"alpha": 0.05, "detectors": {}}');
    assert.throws(
      () => readCalibrationResult(file),
      new RegExp(`${file.replace(/[.]/g, '\\.')}: no calibrated detector`),
    );
    fs.writeFileSync(file, '{');
    assert.throws(() => readCalibrationResult(file), /cannot read the calibration/);
    assert.throws(() => readCalibrationResult(path.join(dir, 'missing.json')), /missing\.json: cannot read/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
