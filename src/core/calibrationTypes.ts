// The calibration file (written atomically beside the scenario, or in the output folder for
// built-ins). It holds what it was computed from, so a stale one is detected, and a fitted model
// for every calibrated detector, so switching detectors re-flags without recalibrating.

import type { GuardCalibration } from './guardCalibration';

export interface StepModel {
  /** per step t = 0..maxSteps-1; steps past an episode's end hold its last value */
  mean: number[];
  sd: number[];
}

export interface DetectorCalibration {
  kind: 'envelope' | 'window' | 'cusum';
  params: { window?: number; k?: number };
  /** envelope: of S_t; window: of the window sum W_t; cusum: of the increments u_t */
  model: StepModel;
  /** threshold on the native statistic, set by the split-conformal rule */
  h: number;
  /** k-th most extreme of n held-out episodes; false-alarm bound k/(n+1) */
  k: number;
  n: number;
  bound: number;
  /** false when there were too few held-out episodes for the alpha asked (n < 1/alpha - 1) */
  guaranteed: boolean;
  /** the n held-out episodes' extreme statistics, most extreme first (h = extremes[k-1]); lets
   *  another alpha be applied without running anything (calibration.ts withAlpha) */
  extremes?: number[];
}

export interface CalibrationFile {
  version: 1;
  scenario: { name: string; file: string; hash: string };
  agent: { name: string; module: string; hash: string };
  /** sha256 of the environment and objective module files, to detect a stale calibration */
  environmentHash: string;
  objectiveHash: string | null;
  computedAt: string;
  alpha: number;
  seeds: { from: number; count: number };
  maxSteps: number;
  fitEpisodes: number;
  conformalEpisodes: number;
  /** running-objective quantiles per step over all calibration episodes, drawn behind in the panel */
  band: { p05: number[]; p50: number[]; p95: number[] };
  detectors: {
    envelope: DetectorCalibration;
    window: DetectorCalibration;
    cusum: DetectorCalibration;
  };
  warnings: string[];
  /** the predictive guard's margin, measured on the held-out episodes (added when a guarded run needs it) */
  guard?: GuardCalibration;
}
