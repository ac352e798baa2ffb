// Every view tells the same story: the same engine-written traces, re-flagged under every detector
// setting through each path outside VS Code — core's flagRecordedTrace, `objective-monitor reflag
// --json`, the language server's diagnostics, hover, code lens, outline and summary, and the
// extension's trace cache that the replay panel and its overlays flag through — give the same flagged
// step. (The extension's Problems: test/integration/suite/reflagPaths.test.ts; the Runs view's rows:
// test/e2e/panelStory.test.ts.) A trace
// recorded with the predictive guard: the same predicted stop (or the same note saying why it cannot
// be re-evaluated) on every path, and under its own settings the recorded decision re-made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Diagnostic, DocumentSymbol, MarkupContent } from 'vscode-languageserver';
import { flagRecordedTrace, recordedTraceOf, reflag } from '../../src/core/reflag';
import { reflagGuard } from '../../src/core/guardReflag';
import { readTrace } from '../../src/core/traceReader';
import { createCalibrationLoader } from '../../src/shared/calibrationLoader';
import { coerceSettings, flagSettingsOf } from '../../src/shared/settings';
import { traceCodeLenses } from '../../src/server/codeLenses';
import { traceDiagnostics } from '../../src/server/diagnostics';
import { traceSymbols } from '../../src/server/documentSymbols';
import { traceHover } from '../../src/server/hover';
import { analyzeTrace } from '../../src/server/traceAnalysis';
import { traceSummary } from '../../src/server/traceSummary';
import { TraceCache } from '../../src/extension/traceCache';
import {
  REFLAG_MATRIX,
  REFLAG_RUNS,
  cliOptions,
  copyReflagScenario,
  describeSection,
  reflagRunArgs,
  type DetectorSection,
} from '../reflagMatrix';
import { cliRunner } from './cliRunner';

const root = path.resolve(__dirname, '../..');

const om = cliRunner(180_000);

/** `objective-monitor reflag` of `traces` under the section's settings: its exit code (0 or 1) and rows. */
function cliReflag<Row>(
  dir: string,
  traces: string[],
  section: DetectorSection,
): { code: number | null; rows: ({ trace: string } & Row)[] } {
  const r = om(dir, 'reflag', ...traces, ...cliOptions(section), '--json');
  assert.ok(r.code === 0 || r.code === 1, `${describeSection(section)}: ${r.stderr}${r.stdout}`);
  return { code: r.code, rows: JSON.parse(r.stdout).traces as ({ trace: string } & Row)[] };
}

const messageOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);

test('core, CLI, language server and trace cache flag the same steps under every detector setting', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-paths-'));
  try {
    const scenarioFile = copyReflagScenario(root, dir);
    // Engine-written traces: flagged and unflagged episodes, recorded past the flag (flag-only).
    const traces: string[] = [];
    for (const run of REFLAG_RUNS) {
      const r = om(dir, ...reflagRunArgs(scenarioFile, run));
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      traces.push(...JSON.parse(r.stdout).episodes.map((e: { trace: string }) => e.trace));
    }
    const loader = createCalibrationLoader();
    const cache = new TraceCache();
    let differences = 0;
    const seen = new Set<number | null>();
    for (const section of REFLAG_MATRIX) {
      const what = describeSection(section);
      const settings = coerceSettings({ detector: section });
      const { rows: cliRows } = cliReflag<{ flaggedStep: number | null; recordedFlaggedStep: number | null }>(
        dir,
        traces,
        section,
      );
      for (const file of traces) {
        const text = fs.readFileSync(file, 'utf8');
        const core = flagRecordedTrace(recordedTraceOf(readTrace(text)), flagSettingsOf(settings), loader);
        assert.equal(core.reflagError, null, `${what}: ${core.reflagError}`);
        const step = core.flaggedStep;
        if (section.kind === 'recorded')
          assert.equal(step, core.recordedFlaggedStep, `${what}: recorded keeps the recorded flag`);
        if (step !== core.recordedFlaggedStep) differences++;
        seen.add(step);
        const where = `${what}, ${path.basename(file)}`;

        // CLI
        const row = cliRows.find((r) => r.trace === file);
        assert.equal(row?.flaggedStep, step, `${where}: CLI`);

        // the extension's trace cache (the replay panel's flags)
        assert.equal(
          cache.flags(await cache.load(file), flagSettingsOf(settings)).flaggedStep,
          step,
          `${where}: cache`,
        );

        // language server
        const a = analyzeTrace(text, settings, loader);
        assert.equal(a.flag.flaggedStep, step, `${where}: server analysis`);
        const flagged = traceDiagnostics(a, { relatedInformation: true }).filter((d) => d.code === 'flagged');
        const symbols = traceSymbols(a) as DocumentSymbol[];
        const lenses = traceCodeLenses(a, 'file:///t.trace.jsonl');
        const summary = traceSummary(a, 'file:///t.trace.jsonl', 'disk', { relatedInformation: true });
        assert.equal(summary.flaggedStep, step, `${where}: summary`);
        if (step === null) {
          assert.deepEqual(flagged, [], `${where}: no flag diagnostic`);
          continue;
        }
        const line = a.read.stepLines[step];
        assert.equal(a.read.steps[step].step, step, 'step records are indexed by their step');
        assert.equal(flagged.length, 1, `${where}: one flag diagnostic`);
        assert.equal(flagged[0].range.start.line, line, `${where}: on the flagged step's line`);
        assert.match(messageOf(flagged[0]), new RegExp(`at step ${step} \\(`), where);
        const md = (traceHover(a, { line, character: 0 })?.contents as MarkupContent).value;
        assert.match(md, new RegExp(`^\\*\\*Step ${step}\\*\\* — flagged`), `${where}: hover`);
        const flagLens = lenses.find((l) => l.command?.arguments?.[1] === step);
        assert.ok(flagLens, `${where}: a lens opens the replay at step ${step}`);
        const outline = JSON.stringify(symbols);
        assert.match(outline, new RegExp(`"flag at step ${step}"`), `${where}: outline`);
      }
    }
    assert.ok(differences > 0, 'some setting moves or removes a recorded flag');
    assert.ok(seen.size >= 6, `the settings flag many different steps (${[...seen].join(', ')})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a guarded trace: core, CLI and language server agree on the predicted stop, with the guard margin applied', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-paths-guard-'));
  try {
    const scenarioFile = copyReflagScenario(root, dir);
    const r = om(
      dir,
      'run',
      scenarioFile,
      '--agent',
      'late',
      '--episodes',
      '3',
      '--detector',
      'cusum',
      '--guard',
      '--horizon',
      '12',
      '--json',
    );
    assert.equal(r.code, 1, r.stderr);
    const episodes = JSON.parse(r.stdout).episodes as { trace: string; reason: string }[];
    assert.ok(
      episodes.every((e) => e.reason === 'predicted_stop'),
      episodes.map((e) => e.reason).join(),
    );
    const traces = episodes.map((e) => e.trace);
    const loader = createCalibrationLoader();

    // The recorded decision, re-made from the trace: the re-flag's monitor with the calibration's guard
    // margin gives the recorded thresholds, and the look-ahead that fired crosses where it was recorded.
    for (const file of traces) {
      const read = readTrace(fs.readFileSync(file, 'utf8'));
      const header = read.header!;
      const p = read.end!.prediction!;
      const loaded = loader(header.calibration!.file);
      assert.ok(loaded.ok);
      const rt = recordedTraceOf(read);
      const g = reflagGuard(header.guard!, rt.prediction, header.detector, loaded.calibration, rt.increments);
      const again = reflag(rt.increments, header.detector, g.calibration);
      assert.deepEqual([...again.thresholds], [...rt.thresholds], `${file}: thresholds with the guard margin`);
      const d = g.decide(again.flaggedStep);
      assert.equal(d.predictedStep, p.step);
      assert.equal(d.crossingStep, p.crossingStep);
    }

    const seen = { predicted: 0, cannot: 0, notPredicted: 0 };
    for (const section of REFLAG_MATRIX) {
      const what = describeSection(section);
      const settings = coerceSettings({ detector: section });
      const { code: cliCode, rows: cliRows } = cliReflag<{
        flaggedStep: number | null;
        predictedStep: number | null;
        recordedPredictedStep: number | null;
        guardNote?: string;
      }>(dir, traces, section);
      for (const file of traces) {
        const where = `${what}, ${path.basename(file)}`;
        const text = fs.readFileSync(file, 'utf8');
        const read = readTrace(text);
        const core = flagRecordedTrace(recordedTraceOf(read), flagSettingsOf(settings), loader);
        assert.equal(core.reflagError, null, `${where}: ${core.reflagError}`);
        assert.equal(core.recordedPredictedStep, read.end!.prediction!.step, where);
        if (section.kind === 'recorded' || (section.kind === 'cusum' && section.alpha === undefined)) {
          assert.equal(core.predictedStep, core.recordedPredictedStep, `${where}: as recorded`);
          assert.equal(core.guardNote, null, where);
        }
        if (section.kind === 'envelope' || section.kind === 'window')
          assert.match(core.guardNote ?? '', /holds no guard margin for .* cannot be re-evaluated/, where);
        if (core.predictedStep !== null) seen.predicted++;
        else if (core.guardNote?.includes('cannot be re-evaluated')) seen.cannot++;
        else seen.notPredicted++;

        // CLI
        const row = cliRows.find((x) => x.trace === file)!;
        assert.equal(row.flaggedStep, core.flaggedStep, `${where}: CLI flag`);
        assert.equal(row.predictedStep, core.predictedStep, `${where}: CLI predicted stop`);
        assert.equal(row.guardNote ?? null, core.guardNote, `${where}: CLI guard note`);
        if (core.predictedStep !== null) assert.equal(cliCode, 1, `${where}: a predicted stop is an alarm`);

        // language server
        const a = analyzeTrace(text, settings, loader);
        assert.equal(a.flag.predictedStep, core.predictedStep, `${where}: server analysis`);
        const diags = traceDiagnostics(a, { relatedInformation: true });
        const predicted = diags.filter((d) => d.code === 'predicted_stop');
        if (core.predictedStep !== null) {
          assert.equal(predicted.length, 1, where);
          assert.equal(predicted[0].range.start.line, a.read.endLine, where);
          assert.match(
            messageOf(predicted[0]),
            new RegExp(
              `^predicted stop: the guard stopped the episode before the action of step ${core.predictedStep}`,
            ),
            where,
          );
        } else {
          assert.deepEqual(predicted, [], `${where}: no predicted stop diagnostic`);
          const un = diags.find((d) => d.code === 'unpredicted');
          assert.match(messageOf(un!), /^not a predicted stop with the current settings/, where);
        }
      }
    }
    assert.ok(seen.predicted > 0 && seen.cannot > 0 && seen.notPredicted > 0, JSON.stringify(seen));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
