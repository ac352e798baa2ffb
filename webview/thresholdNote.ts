// What the threshold line means, per detector, said where the line is drawn. Every detector's
// threshold is a level of the running objective (alarm iff S_t < threshold_t), but the levels
// behave very differently: an envelope is a smooth band, a window threshold trails the score, and
// CUSUM's sits about one step's drop below the score and jumps up to meet it as a shortfall builds
// up. Without this a user reads CUSUM's jump as the threshold "moving to catch" the agent.

import type { ReplayMeta } from '../src/shared/webviewProtocol';
import { formatNumber } from './format';

export interface ThresholdNote {
  /** one line under the chart */
  text: string;
  /** the full explanation (tooltip) */
  title: string;
}

export function thresholdNote(meta: Pick<ReplayMeta, 'detector' | 'calibration'>): ThresholdNote {
  const d = meta.detector;
  const alpha = meta.calibration ? `α = ${formatNumber(meta.calibration.alpha)}` : null;
  if (d.kind !== 'fixed' && !meta.calibration) {
    return {
      text: `No threshold line: the ${d.kind === 'cusum' ? 'CUSUM' : d.kind} detector has no calibration for this trace.`,
      title:
        'Calibrated detectors (envelope, window, CUSUM) need a calibration of this scenario and agent: run "Objective Monitor: Calibrate Threshold".',
    };
  }
  switch (d.kind) {
    case 'envelope':
      return {
        text: `Threshold (envelope${alpha ? `, ${alpha}` : ''}): a level under the calibration episodes' running objective at each step, set for a false-alarm rate of α per episode; an alarm is the score dropping below it.`,
        title:
          'Envelope detector: the threshold at step t is mean_t + h·sd_t of the running objective over the calibration episodes, with h fitted on ' +
          `calibration episodes for a false-alarm rate of ${alpha ?? 'α'} per episode. The margin is the score minus that level.`,
      };
    case 'window':
      return {
        text: `Threshold (window ${d.window}): the score ${d.window} steps earlier plus the smallest gain over ${d.window} steps calibration allows; it trails the score, and an alarm is the last ${d.window} steps gaining too little.`,
        title:
          `Window detector: it tests the gain of the last ${d.window} steps, W_t = S_t − S_{t−${d.window}}, against its calibrated low level. ` +
          `Drawn as a running-objective level, the threshold is S_{t−${d.window}} + mean_t + h·sd_t, so it follows the score ${d.window} steps behind.`,
      };
    case 'cusum':
      return {
        text: `Threshold (CUSUM k=${formatNumber(d.k)}): the level this step's score must stay above. It sits about one step's drop below the score and jumps up to meet it as a shortfall builds up: read the gap, not the jump.`,
        title:
          'CUSUM detector: it accumulates how far each increment falls short of calibration (C_t = max(0, C_{t−1} − z_t − k)) and alarms when C_t passes its limit h. ' +
          'Drawn as a running-objective level, the threshold at step t is S_{t−1} + mean_t + sd_t·(C_{t−1} − k − h): the score this step would have to fall below for C_t to pass h. ' +
          'While increments are normal it sits about (k + h) standard deviations of one step below the score; as the shortfall C grows it rises to meet the score, and the alarm is where they touch. ' +
          'The margin (score − threshold) is how much drop one more step can absorb.',
      };
    case 'fixed':
      return {
        text: `Threshold (fixed): the level ${formatNumber(d.threshold)} from the settings; an alarm is the running objective falling below it.`,
        title: 'Fixed threshold: no calibration; the alarm is S_t < threshold at any step.',
      };
  }
}
