// Re-flagging: run the monitor over recorded increments (thresholds and detector settings change
// what is flagged, never what was recorded). Pure; nothing is run.

import type { CalibrationFile } from './calibrationTypes';
import { withAlpha } from './calibration';
import { createMonitor } from './detectors';
import type { DetectorConfig } from './detectorConfig';

export interface ReflagResult {
  /** the first alarming step, or null */
  flaggedStep: number | null;
  /** S_t per step */
  scores: Float64Array;
  statistics: Float64Array;
  /** the running-objective level per step: alarm iff scores[t] < thresholds[t] */
  thresholds: Float64Array;
}

/** `alpha`, when given and different from the calibration's, re-derives h from the stored held-out
 *  statistics (throws when the calibration file predates them). */
export function reflag(
  increments: ArrayLike<number>, config: DetectorConfig, calibration: CalibrationFile | null, alpha?: number,
): ReflagResult {
  const cal = calibration && alpha !== undefined && config.kind !== 'fixed' ? withAlpha(calibration, alpha) : calibration;
  const monitor = createMonitor(config, cal);
  const n = increments.length;
  const scores = new Float64Array(n);
  const statistics = new Float64Array(n);
  const thresholds = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    monitor.push(increments[t]);
    scores[t] = monitor.score;
    statistics[t] = monitor.statistic;
    thresholds[t] = monitor.threshold;
  }
  return { flaggedStep: monitor.flaggedStep < 0 ? null : monitor.flaggedStep, scores, statistics, thresholds };
}
