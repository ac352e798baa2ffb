// `run --junit FILE --sarif FILE` as CI runs it: a real CLI child on a copy of the corridor example;
// the reports are checked against the formats' own schemas and against the traces they point at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { junitSchemaErrors, sarifSchemaErrors, xpath } from './schemaValidators';
import { cliRunner } from './cliRunner';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');

function corridorCopy(): string {
  const dir = tempDir('om-reports-');
  fs.cpSync(path.join(root, 'examples/corridor'), dir, { recursive: true });
  return dir;
}

const om = cliRunner(120_000);

/** The 1-based line `n` of a file, parsed. */
function lineOf(file: string, n: number): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[n - 1]);
}

interface SarifResult {
  ruleId: string;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region?: { startLine: number } };
  }[];
  properties: { seed: number; flaggedStep?: number; reason: string };
}

test('a flagged run writes a schema-valid JUnit report (a failure per flagged episode) and SARIF at each flagged line', () => {
  const dir = corridorCopy();
  const r = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    'misaligned',
    '--episodes',
    '4',
    '--json',
    '--junit',
    'reports/junit.xml',
    '--sarif',
    'reports/om.sarif',
  );
  assert.equal(r.code, 1, r.stderr);
  const run = JSON.parse(r.stdout) as { episodes: { seed: number; flaggedStep: number | null; trace: string }[] };
  const flagged = run.episodes.filter((e) => e.flaggedStep !== null);
  assert.ok(flagged.length > 0, 'the misaligned agent is flagged');

  // JUnit
  const junit = path.join(dir, 'reports/junit.xml');
  assert.equal(junitSchemaErrors(junit), '', 'valid against the Ant JUnit XSD');
  assert.equal(xpath(junit, 'string(//testsuite/@tests)'), '4');
  assert.equal(xpath(junit, 'string(//testsuite/@failures)'), String(flagged.length));
  assert.equal(xpath(junit, 'string(//testsuite/@errors)'), '0');
  assert.equal(xpath(junit, 'string(//testsuite/@name)'), 'corridor / misaligned');
  assert.match(xpath(junit, 'string(//property[@name="detector"]/@value)'), /^cusum k=0\.5, alpha 0\.05$/);
  for (const e of run.episodes) {
    const tc = `//testcase[@name="seed ${e.seed}"]`;
    assert.equal(xpath(junit, `count(${tc})`), '1');
    assert.equal(xpath(junit, `string(${tc}/@classname)`), 'corridor.misaligned');
    if (e.flaggedStep === null) {
      assert.equal(xpath(junit, `count(${tc}/failure)`), '0');
      continue;
    }
    const message = xpath(junit, `string(${tc}/failure/@message)`);
    assert.match(
      message,
      new RegExp(
        `^running objective -?[\\d.e-]+ fell below the threshold -?[\\d.e-]+ at step ${e.flaggedStep} \\(detector cusum k=0\\.5, alpha 0\\.05\\)$`,
      ),
    );
    const body = xpath(junit, `string(${tc}/failure)`);
    const m = /^trace: (.+\.trace\.jsonl):(\d+)$/m.exec(body);
    assert.ok(m, body);
    assert.equal(path.resolve(dir, m[1]), e.trace, 'the trace path, relative to the working folder');
    assert.deepEqual([lineOf(e.trace, Number(m[2])).step, lineOf(e.trace, Number(m[2])).flag], [e.flaggedStep, true]);
  }

  // SARIF
  const sarif = JSON.parse(fs.readFileSync(path.join(dir, 'reports/om.sarif'), 'utf8'));
  assert.deepEqual(sarifSchemaErrors(sarif), []);
  assert.equal(sarif.version, '2.1.0');
  const srcroot = fileURLToPath(sarif.runs[0].originalUriBaseIds.SRCROOT.uri);
  assert.equal(fs.realpathSync(srcroot), fs.realpathSync(dir));
  const results = sarif.runs[0].results as SarifResult[];
  assert.equal(results.length, flagged.length);
  for (const res of results) {
    const e = flagged.find((f) => f.seed === res.properties.seed)!;
    assert.ok(e, `a result for seed ${res.properties.seed}`);
    assert.equal(res.ruleId, 'OM1001');
    assert.equal(res.level, 'error');
    assert.match(
      res.message.text,
      new RegExp(
        `^corridor / misaligned, seed ${e.seed}: running objective .* fell below the threshold .* at step ${e.flaggedStep} `,
      ),
    );
    const loc = res.locations[0].physicalLocation;
    assert.equal(loc.artifactLocation.uriBaseId, 'SRCROOT');
    assert.ok(!loc.artifactLocation.uri.startsWith('/'), 'relative to the repository root');
    const file = path.join(srcroot, decodeURIComponent(loc.artifactLocation.uri));
    assert.equal(fs.realpathSync(file), fs.realpathSync(e.trace));
    assert.deepEqual(
      [lineOf(file, loc.region!.startLine).step, lineOf(file, loc.region!.startLine).flag],
      [e.flaggedStep, true],
    );
  }
  assert.deepEqual(fs.readdirSync(path.join(dir, 'reports')).sort(), ['junit.xml', 'om.sarif'], 'no temp files left');
});

test('an episode whose agent crashes is a JUnit <error> and a SARIF result at the line of the agent that threw', () => {
  const dir = corridorCopy();
  fs.writeFileSync(
    path.join(dir, 'crashy.ts'),
    [
      'export default function make() {',
      '  let t = 0;',
      '  return {',
      '    act: () => {',
      '      if (++t === 3) throw new Error("agent <broke> & stopped");',
      '      return 1;',
      '    },',
      '  };',
      '}',
      '',
    ].join('\n'),
  );
  const r = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    './crashy.ts',
    '--episodes',
    '2',
    '--detector',
    'fixed',
    '--threshold',
    '-100',
    '--junit',
    'j.xml',
    '--sarif',
    's.sarif',
  );
  assert.equal(r.code, 2, r.stdout + r.stderr);
  const junit = path.join(dir, 'j.xml');
  assert.equal(junitSchemaErrors(junit), '');
  assert.equal(xpath(junit, 'string(//testsuite/@errors)'), '2');
  assert.equal(xpath(junit, 'string(//testsuite/@failures)'), '0');
  assert.equal(xpath(junit, 'string((//testcase/error)[1]/@type)'), 'crashed');
  assert.match(
    xpath(junit, 'string((//testcase/error)[1]/@message)'),
    /^episode ended crashed after 2 steps: agent <broke> & stopped \(crashy\.ts:5:\d+\)$/,
  );
  const sarif = JSON.parse(fs.readFileSync(path.join(dir, 's.sarif'), 'utf8'));
  assert.deepEqual(sarifSchemaErrors(sarif), []);
  assert.equal(sarif.runs[0].invocations[0].executionSuccessful, false);
  const res = sarif.runs[0].results as SarifResult[];
  assert.equal(res.length, 2);
  for (const x of res) {
    assert.equal(x.ruleId, 'OM1002');
    assert.equal(x.locations[0].physicalLocation.artifactLocation.uri, 'crashy.ts');
    assert.equal(x.locations[0].physicalLocation.region?.startLine, 5);
  }
});

test('bad report paths are refused before anything runs', () => {
  const dir = corridorCopy();
  let r = om(dir, 'run', 'corridor.scenario.json', '--junit', '');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--junit: expected a file path for the JUnit XML report/);
  fs.mkdirSync(path.join(dir, 'out'));
  r = om(dir, 'run', 'corridor.scenario.json', '--sarif', 'out');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--sarif out: is a folder; expected a file path/);
  assert.ok(!fs.existsSync(path.join(dir, '.objective-monitor')), 'nothing ran');
});

test('episodes the guard stopped before a predicted crossing are JUnit failures and SARIF results at their end record, not errors', () => {
  const dir = corridorCopy();
  const r = om(
    dir,
    'run',
    'corridor.scenario.json',
    '--agent',
    'misaligned',
    '--detector',
    'fixed',
    '--threshold',
    '-3',
    '--episodes',
    '3',
    '--guard',
    '--horizon',
    '12',
    '--json',
    '--junit',
    'reports/junit.xml',
    '--sarif',
    'reports/om.sarif',
  );
  assert.equal(r.code, 1, r.stderr);
  const run = JSON.parse(r.stdout) as {
    episodes: {
      seed: number;
      reason: string;
      flaggedStep: number | null;
      trace: string;
      prediction: { step: number; crossingStep: number };
    }[];
  };
  assert.ok(run.episodes.every((e) => e.reason === 'predicted_stop' && e.flaggedStep === null));

  const junit = path.join(dir, 'reports/junit.xml');
  assert.equal(junitSchemaErrors(junit), '', 'valid against the Ant JUnit XSD');
  assert.equal(xpath(junit, 'string(//testsuite/@failures)'), '3');
  assert.equal(
    xpath(junit, 'string(//testsuite/@errors)'),
    '0',
    'a protocol stop is not an episode that failed to run',
  );
  const endLine = (file: string) => fs.readFileSync(file, 'utf8').trimEnd().split('\n').length;
  for (const e of run.episodes) {
    const tc = `//testcase[@name="seed ${e.seed}"]`;
    assert.equal(xpath(junit, `string(${tc}/failure/@type)`), 'predicted');
    assert.match(
      xpath(junit, `string(${tc}/failure/@message)`),
      new RegExp(
        `^predicted running objective -?[\\d.e-]+ below the threshold at step ${e.prediction.crossingStep}; the guard stopped the episode before the action of step ${e.prediction.step}$`,
      ),
    );
    const m = /^trace: (.+\.trace\.jsonl):(\d+)$/m.exec(xpath(junit, `string(${tc}/failure)`));
    assert.ok(m);
    assert.equal(path.resolve(dir, m[1]), e.trace);
    assert.equal(Number(m[2]), endLine(e.trace));
    assert.equal(lineOf(e.trace, Number(m[2])).type, 'episode_end');
  }

  const sarif = JSON.parse(fs.readFileSync(path.join(dir, 'reports/om.sarif'), 'utf8'));
  assert.deepEqual(sarifSchemaErrors(sarif), []);
  const results = sarif.runs[0].results as SarifResult[];
  assert.deepEqual(
    results.map((x) => [x.ruleId, x.properties.seed, x.properties.reason]),
    run.episodes.map((e) => ['OM1003', e.seed, 'predicted_stop']),
  );
  for (const res of results) {
    const e = run.episodes.find((x) => x.seed === res.properties.seed)!;
    assert.match(res.message.text, new RegExp(`before the action of step ${e.prediction.step}$`));
    const loc = res.locations[0].physicalLocation;
    assert.equal(loc.region!.startLine, endLine(e.trace));
  }
  assert.equal(sarif.runs[0].tool.driver.rules[2].id, 'OM1003');
});
