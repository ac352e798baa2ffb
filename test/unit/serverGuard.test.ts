// The language server on guarded traces: a predicted_stop says it was the guard's prediction (not a
// reactive flag) on the episode_end line, also when re-flagged under other settings; a guard that
// was off says why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { CalibrationLoader } from '../../src/core/calibrationFile';
import { traceDiagnostics } from '../../src/server/diagnostics';
import { analyzeTrace } from '../../src/server/traceAnalysis';
import { coerceSettings } from '../../src/shared/settings';
import { DEFAULT_GUARD } from '../../src/core/guardTypes';
import { buildTrace, replaceLine } from './serverTraceBuilder';

const noCalibration: CalibrationLoader = (file) => ({ ok: false, message: `no calibration at ${file}` });
const messageOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);

function withEnd(text: string, endLine: number, patch: Record<string, unknown>): string {
  const lines = text.split('\n');
  const end = JSON.parse(lines[endLine]);
  return replaceLine(text, endLine, JSON.stringify({ ...end, ...patch }));
}

/** A look-ahead before step 8 of a trace at S = 8: the running objective falls to -14 by step 10. */
const PREDICTION = {
  step: 8,
  horizon: 3,
  rollouts: 2,
  replay: true,
  fired: true,
  crossingStep: 10,
  predictedScore: -14,
  margin: 0,
  increments: [1, -10, -13],
  scores: [9, -1, -14],
  thresholds: [-10, -10, -10],
};

test('predicted_stop: an error diagnostic that names the prediction, no reactive flag', () => {
  const t = buildTrace({ steps: 8 });
  const prediction = PREDICTION;
  const text = withEnd(t.text, t.endLine!, {
    reason: 'predicted_stop',
    prediction,
    guard: { status: 'on', message: 'guard on', replay: true },
  });
  const diags = traceDiagnostics(analyzeTrace(text, coerceSettings({}), noCalibration), { relatedInformation: true });
  assert.equal(diags.filter((d) => d.code === 'flagged').length, 0);
  const p = diags.filter((d) => d.code === 'predicted_stop');
  assert.equal(p.length, 1);
  assert.equal(p[0].severity, DiagnosticSeverity.Error);
  assert.equal(p[0].range.start.line, t.endLine);
  assert.equal(
    messageOf(p[0]),
    'predicted stop: the guard stopped the episode before the action of step 8: the running objective was predicted to fall to -14, below the threshold, at step 10 (look-ahead 3 steps, 2 rollouts, replaying the simulator exactly)',
  );
  assert.equal(diags.filter((d) => d.code === 'predicted_stop' || d.code === 'flagged').length, 1);
});

test('a guard that could not run: a warning with its reason', () => {
  const t = buildTrace({ steps: 5 });
  const text = withEnd(t.text, t.endLine!, {
    guard: { status: 'unavailable', message: '/w/env.ts: the environment has no clone() method' },
  });
  const diags = traceDiagnostics(analyzeTrace(text, coerceSettings({}), noCalibration), { relatedInformation: true });
  const g = diags.find((d) => d.code === 'guard_unavailable');
  assert.ok(g);
  assert.equal(messageOf(g), 'guard unavailable: /w/env.ts: the environment has no clone() method');
});

test('re-flagged predicted_stop: the guard decision re-made under the settings, said apart from a reactive flag', () => {
  const t = buildTrace({ steps: 8, increment: () => 1 });
  const lines = t.text.split('\n');
  const header = JSON.parse(lines[0]);
  lines[0] = JSON.stringify({ ...header, guard: { ...DEFAULT_GUARD, horizon: 3 } });
  const prediction = { ...PREDICTION, rollouts: 1, replay: false };
  const text = withEnd(lines.join('\n'), t.endLine!, { reason: 'predicted_stop', prediction });
  const under = (threshold: number) =>
    traceDiagnostics(
      analyzeTrace(text, coerceSettings({ detector: { kind: 'fixed', fixedThreshold: threshold } }), noCalibration),
      { relatedInformation: true },
    );
  // a threshold below everything predicted: no predicted stop, and the message says what was recorded
  const lower = under(-20);
  assert.equal(lower.filter((d) => d.code === 'predicted_stop' || d.code === 'flagged').length, 0);
  const un = lower.find((d) => d.code === 'unpredicted')!;
  assert.equal(un.range.start.line, t.endLine);
  assert.equal(un.severity, DiagnosticSeverity.Information);
  assert.match(
    messageOf(un),
    /^not a predicted stop with the current settings \(detector fixed -20\); recorded: predicted stop before the action of step 8: under fixed -20 the guard's recorded look-ahead before step 8 no longer falls below the threshold; the steps it would have let run were not recorded/,
  );
  // a higher one: still a predicted stop (not a reactive flag), crossing earlier, and it says what it cannot know
  const higher = under(0);
  assert.equal(higher.filter((d) => d.code === 'flagged').length, 0);
  const p = higher.filter((d) => d.code === 'predicted_stop');
  assert.equal(p.length, 1);
  assert.match(
    messageOf(p[0]),
    /^predicted stop: the guard stopped the episode before the action of step 8: .*; re-flagged with the current settings \(detector fixed 0\): under fixed 0 the guard's recorded look-ahead before step 8 still falls below the threshold \(at step 9\); look-aheads before step 8 are not re-evaluated/,
  );
});
