// The guard's share of the false-alarm guarantee (docs/detectors.md#the-guards-margin). Calibration
// runs the guard on the held-out calibration episodes (measure mode: it never fires, it reports the
// most extreme native statistic on its predicted paths, p_j). With the episode's own extreme e_j, one
// score per episode r_j = the more extreme of e_j and p_j, and the split-conformal rule on it:
// tau = r_(k), the k-th most extreme. Reactive and predictive flags both alarm beyond tau, so a new
// exchangeable episode alarms (either way) with probability <= k / (n + 1) <= alpha — exactly the
// reactive detector's argument, on one score. The margin is how far tau is from the reactive h (>= 0):
// with the guard on, the detector is that much less sensitive, which pays for the guard's early alarms.
// Under an exact replay of a deterministic agent p_j is the episode's own future, so the margin is 0.

import { createMonitor, scratchColumns } from './detectors';
import type { CalibrationFile } from './calibrationTypes';
import type { DetectorConfig } from './detectorConfig';
import type { CalibratedKind, GuardConfig, GuardSettings } from './guardTypes';

export type { CalibratedKind, GuardCalibration, GuardSettings } from './guardTypes';

export function settingsOf(g: GuardConfig): GuardSettings {
  return {
    horizon: g.horizon,
    rollouts: g.rollouts,
    quantile: g.quantile,
    every: g.every,
    below: g.below,
    budgetMs: g.budgetMs,
  };
}

export function sameSettings(a: GuardSettings, b: GuardSettings): boolean {
  return (
    a.horizon === b.horizon &&
    a.rollouts === b.rollouts &&
    a.quantile === b.quantile &&
    a.every === b.every &&
    a.below === b.below &&
    a.budgetMs === b.budgetMs
  );
}

export function paramsOf(d: DetectorConfig): { window?: number; k?: number } {
  return d.kind === 'window' ? { window: d.window } : d.kind === 'cusum' ? { k: d.k } : {};
}

/** Does `e` alarm at h?  The native test: cusum C > h, envelope and window z < h. */
export function beyond(kind: CalibratedKind, e: number, h: number): boolean {
  return kind === 'cusum' ? e > h : e < h;
}

/** The episode's most extreme native statistic over its own steps (calibration's e_j). */
export function reactiveExtreme(
  detector: DetectorConfig & { kind: CalibratedKind },
  cal: CalibrationFile,
  increments: ArrayLike<number>,
): number {
  const m = createMonitor(detector, cal);
  const n = increments.length;
  const cols = scratchColumns(n);
  m.scan(increments, 0, n, cols);
  const stats = cols.statistics;
  let e = detector.kind === 'cusum' ? 0 : Infinity;
  for (let i = 0; i < n; i++) {
    if (detector.kind === 'cusum' ? stats[i] > e : stats[i] < e) e = stats[i];
  }
  return e;
}

/** The more extreme of two native statistics. */
function moreExtreme(kind: CalibratedKind, a: number, b: number): number {
  return kind === 'cusum' ? Math.max(a, b) : Math.min(a, b);
}

/** tau = r_(k), the k-th most extreme combined score, and the margin |tau - h| (>= 0). */
export function guardThreshold(
  kind: CalibratedKind,
  h: number,
  k: number,
  pairs: [number, number | null][],
): { tau: number; margin: number } {
  const r = pairs.map(([e, p]) => (p === null || !Number.isFinite(p) ? e : moreExtreme(kind, e, p)));
  r.sort((a, b) => (kind === 'cusum' ? b - a : a - b));
  if (r.length === 0) return { tau: h, margin: 0 };
  const tau = moreExtreme(kind, r[Math.min(k, r.length) - 1], h);
  return { tau, margin: Math.abs(tau - h) };
}

/** The calibration a guarded run uses: the detector's h moved to tau (reactive and predictive alike). */
export function withGuardThreshold(cal: CalibrationFile, detector: DetectorConfig): CalibrationFile {
  if (detector.kind === 'fixed') return cal;
  const g = cal.guard?.detectors[detector.kind];
  if (!g) return cal;
  const d = cal.detectors[detector.kind];
  const { tau } = guardThreshold(detector.kind, d.h, d.k, g.pairs);
  return { ...cal, detectors: { ...cal.detectors, [detector.kind]: { ...d, h: tau } } };
}
