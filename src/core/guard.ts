// The predictive guard's arithmetic, shared by the runner (which plays the rollouts) and the engine
// (which recomputes the fired prediction from its increments and is the authority, as for flags).
// A look-ahead pushes predicted increments into a copy of the live monitor; the predicted shortfall
// at a step is threshold - S (positive: below the threshold); the guard fires when a shortfall
// exceeds the margin.

import { type Monitor, scratchColumns } from './detectors';
import type { GuardConfig, GuardPrediction } from './guardTypes';

/** Model arrays a monitor only reads; everything else a monitor holds is its state. */
const SHARED = new Set(['mean', 'sd']);

/** An independent copy of a monitor's state (the fitted model is shared, it is never written).
 *  Generic over the monitor classes so that a new state field is copied without touching this file:
 *  typed arrays and arrays other than the model are copied, numbers are copied by assignment. */
export function copyMonitor<M extends Monitor>(m: M): M {
  const c = Object.create(Object.getPrototypeOf(m)) as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    const v = (m as unknown as Record<string, unknown>)[key];
    if (!SHARED.has(key) && (ArrayBuffer.isView(v) || Array.isArray(v)))
      c[key] = (v as Float64Array | unknown[]).slice();
    else c[key] = v;
  }
  return c as unknown as M;
}

/** threshold - score after a push: > 0 when the step alarms (threshold -Infinity gives -Infinity). */
export function shortfall(m: Monitor): number {
  return m.threshold - m.score;
}

/** Should the guard look ahead before the action of step t? `m` is the live monitor after step t-1. */
export function shouldLook(g: GuardConfig, t: number, m: Monitor): boolean {
  if (t % g.every !== 0) return false;
  if (g.below === null) return true;
  return m.score - m.threshold < g.below;
}

/** Which rollout is the prediction: the worst (largest severity), or the q-quantile of the severities. */
export function chooseRollout(shortfalls: number[], quantile: number | null): number {
  const order = shortfalls.map((_, i) => i).sort((a, b) => shortfalls[a] - shortfalls[b] || a - b);
  if (quantile === null) return order[order.length - 1];
  const rank = Math.min(order.length, Math.max(1, Math.ceil(quantile * order.length)));
  return order[rank - 1];
}

export interface PathResult {
  scores: number[];
  thresholds: (number | null)[];
  /** index into the path of the first step with shortfall > margin, -1 if none */
  crossing: number;
  /** the largest shortfall on the path (-Infinity for an empty path) */
  maxShortfall: number;
}

/** Runs predicted increments through a copy of `live` (left unchanged). */
export function evaluatePath(live: Monitor, increments: ArrayLike<number>, margin: number): PathResult {
  const m = copyMonitor(live);
  const n = increments.length;
  const cols = scratchColumns(n);
  m.scan(increments, 0, n, cols);
  const scores: number[] = [];
  const thresholds: (number | null)[] = [];
  let crossing = -1;
  let maxShortfall = -Infinity;
  for (let i = 0; i < n; i++) {
    const threshold = cols.thresholds[i];
    scores.push(cols.scores[i]);
    thresholds.push(Number.isFinite(threshold) ? threshold : null);
    const s = threshold - cols.scores[i]; // shortfall() of the monitor after step i
    if (s > maxShortfall) maxShortfall = s;
    if (crossing < 0 && s > margin) crossing = i;
  }
  return { scores, thresholds, crossing, maxShortfall };
}

/** The engine's check of a fired prediction: its increments, run through the engine's own monitor,
 *  must cross where the runner said. Returns the prediction with the engine's numbers, or a problem. */
export function verifyPrediction(
  live: Monitor,
  claim: { step: number; increments: number[]; crossingStep: number | null; fired: boolean },
  margin: number,
): { ok: true; path: PathResult } | { ok: false; message: string } {
  const path = evaluatePath(live, claim.increments, margin);
  const crossingStep = path.crossing >= 0 ? claim.step + path.crossing : null;
  if (claim.fired && crossingStep === null) {
    return {
      ok: false,
      message: `the guard fired at step ${claim.step} but its predicted increments never fall more than ${margin} below the threshold`,
    };
  }
  if (crossingStep !== claim.crossingStep) {
    return {
      ok: false,
      message: `the guard's predicted crossing step ${claim.crossingStep} at step ${claim.step} is not where its increments cross (${crossingStep})`,
    };
  }
  return { ok: true, path };
}

export function predictionOf(
  g: GuardConfig,
  step: number,
  replay: boolean,
  fired: boolean,
  increments: number[],
  path: PathResult,
  truncated: boolean,
  liveScore: number,
): GuardPrediction {
  const at = path.crossing >= 0 ? path.crossing : path.scores.length - 1;
  const p: GuardPrediction = {
    step,
    horizon: g.horizon,
    rollouts: g.rollouts,
    replay,
    fired,
    crossingStep: path.crossing >= 0 ? step + path.crossing : null,
    // an empty path (the time budget ran out before the first predicted step) predicts nothing new
    predictedScore: at >= 0 ? path.scores[at] : liveScore,
    margin: g.margin,
    increments,
    scores: path.scores,
    thresholds: path.thresholds,
  };
  if (truncated) p.truncated = true;
  return p;
}
