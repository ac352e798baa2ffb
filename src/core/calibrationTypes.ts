// The calibration file (written atomically beside the scenario, or in the output folder for
// built-ins). It holds what it was computed from, so a stale one is detected, and a fitted model
// for every calibrated detector, so switching detectors re-flags without recalibrating.

import type { GuardCalibration } from './guardTypes';

export interface StepModel {
  /** per step t = 0..L-1, L the longest fitted episode; at step t only the episodes still running
   *  at t count (files written before issue 9 padded ended episodes and ran to maxSteps) */
  mean: number[];
  sd: number[];
  /** Past step L-1 the detector extrapolates what training showed (README, design notes).
   *  envelope: the mean keeps `drift` per step and the variance grows by `growth` (>= 0) per step;
   *  window, cusum: the tail of training's distribution, `tailMean` and `tailSd` (> 0).
   *  Absent (older files): the last entry is reused. */
  drift?: number;
  growth?: number;
  tailMean?: number;
  tailSd?: number;
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
  /** steps of each calibration episode, in seed order (issue 9; absent in older files) */
  episodeLengths?: number[];
  /** the longest calibration episode's steps: a deployment episode's steps from here on are beyond
   *  training (extrapolated model, no guarantee) */
  longestEpisode?: number;
  /** the first step where fewer than `sparse.need` of the fitted episodes were still running, when
   *  there is one: the per-step model rests on few episodes from there */
  sparse?: { fromStep: number; need: number } | null;
}
