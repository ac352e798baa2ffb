// The guard's share of the false-alarm guarantee (docs/detectors.md#the-guards-margin). Calibration
// runs the guard on the held-out calibration episodes (measure mode: it never fires, it reports each
// episode's largest predicted shortfall g_j) and the margin m is set so that reactive and predictive
// flags together alarm on no more held-out episodes than the split-conformal rule allows the reactive
// detector alone (k - 1 of n): the guard fires on a held-out episode only when g_j > m.

import { createMonitor } from './detectors';
import type { CalibrationFile } from './calibrationTypes';
import type { DetectorConfig } from './detectorConfig';
import type { GuardConfig } from './guardTypes';

export type CalibratedKind = 'envelope' | 'window' | 'cusum';

/** The look-ahead settings that change what the guard predicts (the margin is calibrated, recording is not). */
export type GuardSettings = Pick<GuardConfig, 'horizon' | 'rollouts' | 'quantile' | 'every' | 'below' | 'budgetMs'>;

export interface GuardDetectorCalibration {
  /** the detector parameters it was measured with (window w, cusum k) */
  params: { window?: number; k?: number };
  /** per held-out episode in seed order: [reactive extreme statistic e_j, largest predicted shortfall g_j or null] */
  pairs: [number, number | null][];
  /** the margin at the calibration's alpha */
  margin: number;
}

export interface GuardCalibration {
  settings: GuardSettings;
  /** the held-out seeds it was measured on */
  seeds: { from: number; count: number };
  detectors: Partial<Record<CalibratedKind, GuardDetectorCalibration>>;
}

export function settingsOf(g: GuardConfig): GuardSettings {
  return { horizon: g.horizon, rollouts: g.rollouts, quantile: g.quantile, every: g.every, below: g.below, budgetMs: g.budgetMs };
}

export function sameSettings(a: GuardSettings, b: GuardSettings): boolean {
  return a.horizon === b.horizon && a.rollouts === b.rollouts && a.quantile === b.quantile && a.every === b.every && a.below === b.below && a.budgetMs === b.budgetMs;
}

export function paramsOf(d: DetectorConfig): { window?: number; k?: number } {
  return d.kind === 'window' ? { window: d.window } : d.kind === 'cusum' ? { k: d.k } : {};
}

/** Does `e` alarm at h?  The native test: cusum C > h, envelope and window z < h. */
export function beyond(kind: CalibratedKind, e: number, h: number): boolean {
  return kind === 'cusum' ? e > h : e < h;
}

/** The episode's most extreme native statistic over its own steps (calibration's e_j). */
export function reactiveExtreme(detector: DetectorConfig & { kind: CalibratedKind }, cal: CalibrationFile, increments: ArrayLike<number>): number {
  const m = createMonitor(detector, cal);
  let e = detector.kind === 'cusum' ? 0 : Infinity;
  for (let i = 0; i < increments.length; i++) {
    m.push(increments[i]);
    if (detector.kind === 'cusum' ? m.statistic > e : m.statistic < e) e = m.statistic;
  }
  return e;
}

/** The margin: the smallest m >= 0 such that the held-out episodes alarmed by the reactive detector
 *  (e_j beyond h) or by the guard (g_j > m) number at most k - 1 — what the reactive rule alone may
 *  alarm on. The guard then adds alarms only on episodes the budget allows. */
export function guardMargin(kind: CalibratedKind, h: number, k: number, pairs: [number, number | null][]): number {
  let reactive = 0;
  const rest: number[] = [];
  for (const [e, g] of pairs) {
    if (beyond(kind, e, h)) reactive++;
    else if (g !== null && Number.isFinite(g)) rest.push(g);
  }
  const budget = Math.max(0, k - 1 - reactive);
  rest.sort((a, b) => b - a);
  // with m = rest[budget], only the `budget` largest (strictly above it) alarm
  const m = budget < rest.length ? rest[budget] : 0;
  return Math.max(0, m);
}

/** The margin stored for this detector, re-derived for the calibration's current alpha (k, h). */
export function marginFor(cal: CalibrationFile, detector: DetectorConfig): number | null {
  if (detector.kind === 'fixed') return 0;
  const g = cal.guard?.detectors[detector.kind];
  if (!g) return null;
  const d = cal.detectors[detector.kind];
  return guardMargin(detector.kind, d.h, d.k, g.pairs);
}
