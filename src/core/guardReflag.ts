// Re-flagging a trace recorded with the predictive guard (docs/detectors.md#re-flagging-a-guarded-trace).
// A guarded run used the detector's h moved to tau (the guard's calibrated margin), so a re-flag must
// use tau too, re-derived for the detector and alpha asked for from the calibration's guard pairs.
// The guard's decision is re-evaluated from what the trace holds: the look-ahead that fired
// (episode_end.prediction), run through the re-flag's monitor as it stood before that step. What the
// trace does not hold (look-aheads that did not fire, rollouts not chosen, steps never run after a
// predicted stop) is said in a note instead of guessed.

import type { CalibrationFile } from './calibrationTypes';
import { createMonitor } from './detectors';
import { describeDetector, type DetectorConfig } from './detectorConfig';
import { evaluatePath } from './guard';
import { paramsOf, sameSettings, settingsOf, withGuardThreshold } from './guardCalibration';
import type { GuardConfig, GuardPrediction } from './guardTypes';

export interface GuardReflag {
  /** the calibration the re-flag's monitor uses: tau in place of h when the guard's margin is known */
  calibration: CalibrationFile | null;
  /** the step before whose action the guard fires under the settings, or null */
  predictedStep: number | null;
  /** the predicted crossing step of that look-ahead under the settings */
  crossingStep: number | null;
  /** what could not be re-evaluated, in words; null when the decision is fully reproduced */
  note: string | null;
}

/** Does the calibration hold the guard's margin for this detector, measured with these look-ahead settings? */
function hasMargin(cal: CalibrationFile, guard: GuardConfig, detector: DetectorConfig): boolean {
  if (detector.kind === 'fixed') return true;
  const g = cal.guard;
  if (!g || !sameSettings(g.settings, settingsOf(guard))) return false;
  const d = g.detectors[detector.kind];
  return !!d && JSON.stringify(d.params) === JSON.stringify(paramsOf(detector));
}

/** The re-flag's calibration with the guard's margin, and the guard's decision under `detector`.
 *  `calibration` is already at the alpha asked for (withAlpha); `increments` are the trace's steps
 *  0..n-1 in order; `reactiveFlag` is the first step the re-flag alarms at under the same calibration. */
export function reflagGuard(
  guard: GuardConfig,
  prediction: GuardPrediction | null,
  detector: DetectorConfig,
  calibration: CalibrationFile | null,
  increments: ArrayLike<number>,
): { calibration: CalibrationFile | null; decide: (reactiveFlag: number | null) => GuardReflag } {
  const what = describeDetector(detector);
  if (calibration && !hasMargin(calibration, guard, detector)) {
    const note = prediction
      ? `the calibration holds no guard margin for ${what} with the recorded look-ahead settings, so the guard's stop before step ${prediction.step} cannot be re-evaluated (run with --guard and this detector to measure the margin); the flags shown are the reactive detector's alone`
      : `the calibration holds no guard margin for ${what} with the recorded look-ahead settings; the flags shown are the reactive detector's alone`;
    return { calibration, decide: () => ({ calibration, predictedStep: null, crossingStep: null, note }) };
  }
  const cal = calibration ? withGuardThreshold(calibration, detector) : null;
  const unrecorded = guard.record === 'all' ? '' : ' (look-aheads that did not fire are not recorded)';
  const decide = (reactiveFlag: number | null): GuardReflag => {
    if (!prediction) {
      return {
        calibration: cal,
        predictedStep: null,
        crossingStep: null,
        note: `the guard did not fire when recorded; whether it would under ${what} is not known from the trace${unrecorded}`,
      };
    }
    const t = prediction.step;
    // the guard stops looking at a reactive flag: a flag before step t means it never looked at t
    if (reactiveFlag !== null && reactiveFlag < t)
      return { calibration: cal, predictedStep: null, crossingStep: null, note: null };
    if (t > increments.length) {
      return {
        calibration: cal,
        predictedStep: null,
        crossingStep: null,
        note: `the guard's look-ahead before step ${t} comes after the ${increments.length} recorded steps`,
      };
    }
    const live = createMonitor(detector, cal);
    for (let i = 0; i < t; i++) live.push(increments[i]);
    const path = evaluatePath(live, prediction.increments, 0);
    const rollouts =
      prediction.rollouts > 1 ? `; of its ${prediction.rollouts} rollouts only the one chosen was recorded` : '';
    if (path.crossing < 0) {
      return {
        calibration: cal,
        predictedStep: null,
        crossingStep: null,
        note: `under ${what} the guard's recorded look-ahead before step ${t} no longer falls below the threshold${rollouts}; the steps it would have let run were not recorded${unrecorded}`,
      };
    }
    return {
      calibration: cal,
      predictedStep: t,
      crossingStep: t + path.crossing,
      note: `under ${what} the guard's recorded look-ahead before step ${t} still falls below the threshold (at step ${t + path.crossing})${rollouts}; look-aheads before step ${t} are not re-evaluated${unrecorded}, so under these settings the guard might have fired earlier`,
    };
  };
  return { calibration: cal, decide };
}
