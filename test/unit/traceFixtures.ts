// Builds valid traces for the reader tests.
import type { TraceEnd, TraceReset, TraceStep } from '../../src/core/traceFormat';
import { header } from '../traceFixture';

export { header };

export const reset: TraceReset = { type: 'reset', observation: { x: 0, name: 'é漢😀' } };

export function steps(increments: number[], flagAt = -1): TraceStep[] {
  let s = 0;
  return increments.map((u, t) => {
    s += u;
    return {
      type: 'step',
      step: t,
      increment: u,
      score: s,
      statistic: s,
      threshold: -1,
      flag: t === flagAt,
      action: 'right',
      observation: { t, label: 'ü' },
    };
  });
}

export function end(st: TraceStep[], over: Partial<TraceEnd> = {}): TraceEnd {
  const flagged = st.find((x) => x.flag);
  return {
    type: 'episode_end',
    reason: 'completed',
    steps: st.length,
    score: st.length ? st[st.length - 1].score : 0,
    flaggedStep: flagged ? flagged.step : null,
    durationMs: 12,
    ...over,
  };
}

export function traceText(increments: number[], flagAt = -1): string {
  const st = steps(increments, flagAt);
  return [header(), reset, ...st, end(st)].map((r) => JSON.stringify(r) + '\n').join('');
}
