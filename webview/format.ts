// Text the panel shows, built as plain strings (the DOM code puts them in with textContent).

import type { EndReason } from '../src/core/traceFormat';
import type { DetectorConfig } from '../src/core/detectorConfig';
import type { ReplayMeta } from '../src/shared/webviewProtocol';

/** Short, stable number text: 4 significant digits, exponent only for very large/small values. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return '—';
  if (x === Infinity) return '+∞';
  if (x === -Infinity) return '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) return x.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(4)));
}

export function flagText(step: number, score: number, threshold: number): string {
  return `flagged at step ${step}: running objective ${formatNumber(score)} < threshold ${formatNumber(threshold)}`;
}

export type ReasonTone = 'ok' | 'flag' | 'fault' | 'stopped';

export const REASONS: Record<EndReason, { icon: string; text: string; tone: ReasonTone }> = {
  completed: { icon: '✔', text: 'completed', tone: 'ok' },
  flagged_stop: { icon: '⚑', text: 'stopped at the flag', tone: 'flag' },
  predicted_stop: { icon: '⛨', text: 'stopped before the predicted crossing', tone: 'flag' },
  step_timeout: { icon: '⏱', text: 'step timeout', tone: 'fault' },
  episode_timeout: { icon: '⏱', text: 'episode timeout', tone: 'fault' },
  oom: { icon: '✖', text: 'out of memory', tone: 'fault' },
  crashed: { icon: '✖', text: 'crashed', tone: 'fault' },
  killed_by_user: { icon: '■', text: 'stopped by user', tone: 'stopped' },
  protocol_error: { icon: '✖', text: 'protocol error', tone: 'fault' },
  host_shutdown: { icon: '■', text: 'host shut down', tone: 'stopped' },
};

export function detectorText(d: DetectorConfig): string {
  switch (d.kind) {
    case 'envelope': return 'envelope';
    case 'window': return `window ${d.window}`;
    case 'cusum': return `CUSUM k=${formatNumber(d.k)}`;
    case 'fixed': return `fixed threshold ${formatNumber(d.threshold)}`;
  }
}

export function calibrationText(meta: Pick<ReplayMeta, 'detector' | 'calibration'>): string {
  const det = detectorText(meta.detector);
  if (meta.calibration) return `${det}, calibrated α = ${formatNumber(meta.calibration.alpha)}`;
  return meta.detector.kind === 'fixed' ? det : `${det}, not calibrated`;
}
