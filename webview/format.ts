// Text the panel shows, built as plain strings (the DOM code puts them in with textContent).

import { END_REASON_TEXT, endReasonGroup, type EndReason, type EndReasonGroup } from '../src/core/traceFormat';
import type { DetectorConfig } from '../src/core/detectorConfig';
import type { ReplayMeta } from '../src/shared/webviewProtocol';
import { numberText } from '../src/core/numberText';

/** Number text as everywhere (core/numberText.ts), with the panel's signs for what is not finite. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return '—';
  if (x === Infinity) return '+∞';
  if (x === -Infinity) return '−∞';
  return numberText(x);
}

// Step numbers, one convention in every view: a step is named by its trace index (0-based, the
// `step` of the trace's step records) and a count is "N steps". Where both appear, the count says
// which indices it covers, so "88 steps" and "step 87" visibly tell the same story.

/** "88 steps (0–87)", "1 step (step 0)", "0 steps" */
export function stepsText(n: number): string {
  if (n <= 0) return '0 steps';
  if (n === 1) return '1 step (step 0)';
  return `${n} steps (0–${n - 1})`;
}

/** The inspector's title: "step 87 (of steps 0–87)". */
export function stepOfText(step: number, n: number): string {
  return n <= 1 ? `step ${step} (the only step)` : `step ${step} (of steps 0–${n - 1})`;
}

/** The timeline's position: "step 87 · last 87". */
export function positionText(step: number, n: number): string {
  return n ? `step ${step} · last ${n - 1}` : 'no steps';
}

export function flagText(step: number, score: number, threshold: number): string {
  return `flagged at step ${step}: running objective ${formatNumber(score)} < threshold ${formatNumber(threshold)}`;
}

/** The guard's prediction that fired, as the header says it: a predicted stop, not a reactive flag. */
export function predictedText(p: { step: number; predictedScore: number; crossingStep: number | null }): string {
  return `predicted stop before step ${p.step}: running objective predicted ${formatNumber(p.predictedScore)}${p.crossingStep === null ? '' : ` < threshold at step ${p.crossingStep}`} (guard)`;
}

export type ReasonTone = 'ok' | 'flag' | 'fault' | 'stopped';
const TONE: Record<EndReasonGroup, ReasonTone> = {
  completed: 'ok',
  protocol: 'flag',
  failure: 'fault',
  interrupted: 'stopped',
};

const ICON: Record<EndReason, string> = {
  completed: '✔',
  flagged_stop: '⚑',
  // ◆ (the chart's marker where the projection crosses): a glyph every font has, unlike a shield
  predicted_stop: '◆',
  step_timeout: '⏱',
  episode_timeout: '⏱',
  oom: '✖',
  crashed: '✖',
  killed_by_user: '■',
  protocol_error: '✖',
  host_shutdown: '■',
};

/** The header's end reason: its glyph, its text (core's, as everywhere) and its tone (from its group). */
export function reasonView(reason: EndReason): { icon: string; text: string; tone: ReasonTone } {
  return { icon: ICON[reason], text: END_REASON_TEXT[reason], tone: TONE[endReasonGroup(reason)] };
}

export function detectorText(d: DetectorConfig): string {
  switch (d.kind) {
    case 'envelope':
      return 'envelope';
    case 'window':
      return `window ${d.window}`;
    case 'cusum':
      return `CUSUM k=${formatNumber(d.k)}`;
    case 'fixed':
      return `fixed threshold ${formatNumber(d.threshold)}`;
  }
}

export function calibrationText(meta: Pick<ReplayMeta, 'detector' | 'calibration'>): string {
  const det = detectorText(meta.detector);
  if (meta.calibration) {
    return `${det}, calibrated α = ${formatNumber(meta.calibration.alpha)}${meta.calibration.agent ? ` on agent ${meta.calibration.agent}` : ''}`;
  }
  return meta.detector.kind === 'fixed' ? det : `${det}, not calibrated`;
}
