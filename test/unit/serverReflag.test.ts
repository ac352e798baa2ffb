// Changing the detector settings re-flags a recorded trace: the calibration file named in the
// header is loaded from disk, core reflag runs over the recorded increments, and the flag the
// user sees moves to the re-flagged step.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Diagnostic, MarkupContent } from 'vscode-languageserver';
import { calibrate } from '../../src/core/calibration';
import type { CalibrationFile } from '../../src/core/calibrationTypes';
import { createCalibrationLoader } from '../../src/shared/calibrationLoader';
import { traceDiagnostics } from '../../src/server/diagnostics';
import { traceHover } from '../../src/server/hover';
import { coerceSettings } from '../../src/shared/settings';
import { analyzeTrace } from '../../src/server/traceAnalysis';
import { traceSummary } from '../../src/server/traceSummary';
import { buildTrace } from './serverTraceBuilder';

const messageOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);
const MAX = 80;

// Deterministic noise: training increments are 1 +- 0.5.
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function writeCalibration(dir: string): string {
  const episodes = Array.from({ length: 80 }, (_, e) => {
    const r = lcg(e + 1);
    return Float64Array.from({ length: MAX }, () => 1 + (r() - 0.5));
  });
  const result = calibrate({ episodes, maxSteps: MAX, alpha: 0.05, window: 10, k: 0.5 });
  const file: CalibrationFile = {
    version: 1,
    scenario: { name: 'coin', file: '/s', hash: 'h' },
    agent: { name: 'aligned', module: '/a', hash: 'h' },
    environmentHash: 'e',
    objectiveHash: null,
    computedAt: '2025-01-01T00:00:00Z',
    seeds: { from: 0, count: 80 },
    maxSteps: MAX,
    ...result,
  };
  const p = path.join(dir, 'coin.calibration.json');
  fs.writeFileSync(p, JSON.stringify(file));
  return p;
}

test('settings that differ from the recorded detector re-flag the trace with the calibration file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-reflag-'));
  try {
    const calFile = writeCalibration(dir);
    // Recorded with a fixed threshold far below: nothing flagged. The agent turns bad at step 30.
    const t = buildTrace({
      steps: MAX,
      increment: (s) => (s < 30 ? 1 : -1),
      detector: { kind: 'fixed', threshold: -1000 },
      calibration: { file: calFile, hash: 'h', alpha: 0.05, computedAt: 'x' },
    });
    assert.equal(t.flaggedStep, null);
    const loader = createCalibrationLoader();
    const recorded = analyzeTrace(t.text, coerceSettings({}), loader);
    assert.equal(recorded.flag.flaggedStep, null);
    assert.deepEqual(traceDiagnostics(recorded, { relatedInformation: true }), []);

    for (const kind of ['envelope', 'window', 'cusum'] as const) {
      const a = analyzeTrace(t.text, coerceSettings({ detector: { kind, window: 10, cusumK: 0.5 } }), loader);
      assert.equal(a.flag.reflagged, true, `${kind}: ${a.flag.reflagError}`);
      const step = a.flag.flaggedStep;
      assert.ok(step !== null && step >= 30 && step < 45, `${kind} flagged ${step}`);
      const d = traceDiagnostics(a, { relatedInformation: true }).find((x) => x.code === 'flagged');
      assert.ok(d, kind);
      assert.equal(d.range.start.line, t.lineOfStep(step));
      assert.match(
        messageOf(d),
        new RegExp(
          `at step ${step} \\(detector ${kind}.*, alpha 0\\.05\\); re-flagged with the current settings \\(recorded: no flag\\)$`,
        ),
      );
      assert.equal(d.relatedInformation?.[0].location.uri, `file://${calFile}`);
      // the hover shows the re-flagged threshold, and margin = score - that threshold
      const md = (traceHover(a, { line: t.lineOfStep(step), character: 0 })?.contents as MarkupContent).value;
      assert.match(md, /threshold: .* \(re-flagged; recorded -1000\)/);
      assert.equal(traceSummary(a, 'file:///x', 'document', { relatedInformation: true }).flaggedStep, step);
    }

    // A looser alpha never flags later.
    const strict = analyzeTrace(t.text, coerceSettings({ detector: { kind: 'envelope', alpha: 0.05 } }), loader).flag
      .flaggedStep!;
    const loose = analyzeTrace(t.text, coerceSettings({ detector: { kind: 'envelope', alpha: 0.3 } }), loader);
    assert.equal(loose.flag.alpha, 0.3);
    assert.ok(loose.flag.flaggedStep !== null && loose.flag.flaggedStep <= strict);

    // Kind 'recorded' shows the trace as recorded even with an alpha setting.
    const asRecorded = analyzeTrace(t.text, coerceSettings({ detector: { kind: 'recorded', alpha: 0.3 } }), loader);
    assert.equal(asRecorded.flag.reflagged, false);
    assert.equal(asRecorded.flag.flaggedStep, null);

    // A fixed threshold from settings needs no calibration.
    const fixed = analyzeTrace(t.text, coerceSettings({ detector: { kind: 'fixed', fixedThreshold: -5 } }), loader);
    assert.equal(fixed.flag.flaggedStep, 65); // S_29 = 30, then -1 per step: S_64 = -5 (a tie, no alarm), S_65 = -6

    // A calibration fitted for another window cannot re-flag: the recorded flag stays, with a reason.
    const other = analyzeTrace(t.text, coerceSettings({ detector: { kind: 'window', window: 7 } }), loader);
    assert.equal(other.flag.reflagged, false);
    assert.match(other.flag.reflagError ?? '', /window 10, not 7/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a recorded flag that the new settings no longer reach is reported on the header', () => {
  const t = buildTrace({ steps: 40, dropAt: 10, detector: { kind: 'fixed', threshold: -10 } });
  const a = analyzeTrace(t.text, coerceSettings({ detector: { kind: 'fixed', fixedThreshold: -1000 } }), () => ({
    ok: false,
    message: 'unused',
  }));
  assert.equal(a.flag.flaggedStep, null);
  const d = traceDiagnostics(a, { relatedInformation: false });
  assert.deepEqual(
    d.map((x) => [x.code, x.range.start.line]),
    [['unflagged', 0]],
  );
  assert.match(messageOf(d[0]), /recorded flag: step 16$/);
});

test('the calibration loader reports a missing or broken file by name and picks up a rewrite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-cal-'));
  try {
    const load = createCalibrationLoader();
    const p = path.join(dir, 'c.json');
    const missing = load(p);
    assert.ok(!missing.ok && missing.message.includes(p) && missing.message.includes('ENOENT'));
    fs.writeFileSync(p, '{"version":1');
    const broken = load(p);
    assert.ok(!broken.ok && /not valid JSON/.test(broken.message));
    const good = writeCalibration(dir);
    fs.renameSync(good, p);
    assert.equal(load(p).ok, true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
