// Builds trace files in the real trace format (header, reset, steps, episode_end) for the language
// server's tests and benchmark: a fixed-threshold detector, so the flag is computable by hand.

import type { DetectorConfig } from '../../src/core/detectorConfig';
import type { EndReason, TraceEnd, TraceHeader, TraceStep, UserError } from '../../src/core/traceFormat';
import { header } from '../traceFixture';

export interface TraceSpec {
  steps: number;
  /** increment per step; default: +1 until `dropAt`, then -3 */
  increment?: (t: number) => number;
  dropAt?: number;
  detector?: DetectorConfig;
  /** per-step threshold for non-fixed detectors (recorded values) */
  threshold?: (t: number) => number;
  calibration?: TraceHeader['calibration'];
  /** null: no episode_end (incomplete) */
  end?: EndReason | null;
  error?: UserError;
  detail?: Record<string, unknown>;
  recording?: 'full' | 'scores';
  /** stop after the flag (reason flagged_stop) */
  stopAtFlag?: boolean;
  /** append this unterminated text (a torn last line) */
  tornTail?: string;
  modules?: { environment?: string; agent?: string; objective?: string | null };
}

export interface BuiltTrace {
  text: string;
  header: TraceHeader;
  flaggedStep: number | null;
  /** 0-based line of step t is t + 2 (header, reset, then steps) */
  lineOfStep: (t: number) => number;
  endLine: number | null;
}

export function buildHeader(
  spec: Pick<TraceSpec, 'detector' | 'calibration' | 'modules' | 'recording'> & { maxSteps: number },
): TraceHeader {
  const m = spec.modules ?? {};
  return header({
    episodeId: 'ep-7',
    scenario: { name: 'coin', file: '/work/scen/coin.scenario.json', hash: 'abc' },
    agent: { name: 'misaligned', module: m.agent ?? '/work/scen/agent.ts', options: {} },
    environment: { module: m.environment ?? '/work/scen/env.ts', options: { size: 5 } },
    objective: m.objective === null ? null : { module: m.objective ?? '/work/scen/objective.ts', options: {} },
    seed: 42,
    maxSteps: spec.maxSteps,
    recording: spec.recording ?? 'full',
    detector: spec.detector ?? { kind: 'fixed', threshold: -10 },
    calibration: spec.calibration ?? null,
    startedAt: '2025-01-01T00:00:00.000Z',
  });
}

export function buildTrace(spec: TraceSpec): BuiltTrace {
  const detector = spec.detector ?? { kind: 'fixed', threshold: -10 };
  const header = buildHeader({ ...spec, detector, maxSteps: Math.max(1, spec.steps) });
  const dropAt = spec.dropAt ?? Math.floor(spec.steps / 2);
  const inc = spec.increment ?? ((t: number) => (t < dropAt ? 1 : -3));
  const thr = spec.threshold ?? ((_t: number) => (detector.kind === 'fixed' ? detector.threshold : -10));
  const full = (spec.recording ?? 'full') === 'full';
  const lines: string[] = [JSON.stringify(header), JSON.stringify({ type: 'reset', observation: { pos: [0, 0] } })];
  let score = 0;
  let flaggedStep: number | null = null;
  let written = 0;
  for (let t = 0; t < spec.steps; t++) {
    const u = inc(t);
    score += u;
    const threshold = thr(t);
    const flag = flaggedStep === null && score < threshold;
    if (flag) flaggedStep = t;
    const rec: TraceStep = { type: 'step', step: t, increment: u, score, statistic: score, threshold, flag };
    if (full)
      Object.assign(rec, {
        action: t % 4,
        reward: u,
        observation: { pos: [t % 7, (t * 3) % 5], note: 'x'.repeat(20) },
      });
    lines.push(JSON.stringify(rec));
    written++;
    if (flag && spec.stopAtFlag) break;
  }
  let endLine: number | null = null;
  if (spec.end !== null) {
    const reason = spec.end ?? (spec.stopAtFlag && flaggedStep !== null ? 'flagged_stop' : 'completed');
    const end: TraceEnd = { type: 'episode_end', reason, steps: written, score, flaggedStep, durationMs: 1234 };
    if (spec.error) end.error = spec.error;
    if (spec.detail) end.detail = spec.detail;
    endLine = lines.length;
    lines.push(JSON.stringify(end));
  }
  let text = lines.join('\n') + '\n';
  if (spec.tornTail !== undefined) text += spec.tornTail;
  return { text, header, flaggedStep, lineOfStep: (t) => t + 2, endLine };
}

/** Replaces line `line` (0-based) of `text`. */
export function replaceLine(text: string, line: number, replacement: string): string {
  const parts = text.split('\n');
  parts[line] = replacement;
  return parts.join('\n');
}
