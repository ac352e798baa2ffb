// What a flagged episode says, and where in its trace it says it: shared by the CI reports (JUnit,
// SARIF) and the Testing view so a CI dashboard and the editor show the same sentence and point at
// the same line. Likewise for an episode the guard stopped before a predicted crossing: the
// prediction's sentence, at the trace's end record (which holds the prediction).
import { describeDetector, type DetectorConfig } from './detectorConfig';
import type { GuardPrediction } from './guardTypes';
import { indexLines, lineOfStep, readTrace } from './traceReader';
import { numberText } from './numberText';

export interface FlagReport {
  step: number;
  /** 0-based line of the flagged step's record in the trace; the header line (0) when not found */
  line: number;
  found: boolean;
  score: number | null;
  threshold: number | null;
  detector: DetectorConfig | null;
  alpha: number | null;
  /** one sentence: "running objective -3.2 fell below the threshold -1.5 at step 41 (detector cusum k=0.5, alpha 0.05)" */
  message: string;
}

/** Reads the trace text (or bytes) and describes the flag at `flaggedStep`. Never throws. */
export function flagReport(trace: string | Uint8Array, flaggedStep: number): FlagReport {
  const r = readTrace(trace);
  const line = lineOfStep(r, flaggedStep);
  const rec = line >= 0 ? (r.steps.find((s) => s.step === flaggedStep) ?? null) : null;
  const detector = r.header?.detector ?? null;
  const alpha = r.header?.calibration?.alpha ?? null;
  return {
    step: flaggedStep,
    line: Math.max(0, line),
    found: line >= 0,
    score: rec?.score ?? null,
    threshold: rec?.threshold ?? null,
    detector,
    alpha,
    message:
      flagMessage(flaggedStep, rec?.score ?? null, rec?.threshold ?? null, detector, alpha) +
      (line >= 0 ? '' : ' (step not found in the trace)'),
  };
}

export function flagMessage(
  step: number,
  score: number | null,
  threshold: number | null,
  detector: DetectorConfig | null,
  alpha: number | null,
): string {
  const d = detector ? describeDetector(detector) : 'unknown';
  return `running objective${score === null ? '' : ` ${numberText(score, 6)}`} fell below the threshold${threshold === null ? '' : ` ${numberText(threshold, 6)}`} at step ${step} (detector ${d}${alpha === null ? '' : `, alpha ${alpha}`})`;
}

export interface PredictedStopReport {
  /** 0-based line of the trace's last record (the episode_end, which carries the prediction) */
  line: number;
  /** the step whose action the guard did not take */
  step: number;
  crossingStep: number | null;
  /** one sentence: "predicted running objective -3.4 below the threshold at step 12; the guard stopped
   *  the episode before the action of step 9" */
  message: string;
}

/** Describes a predicted_stop episode from its trace's bytes and the prediction that fired (the engine's
 *  episode result or end event carries it). Never throws. */
export function predictedStopReport(
  trace: Uint8Array,
  prediction: GuardPrediction | undefined,
  steps: number,
): PredictedStopReport {
  const step = prediction?.step ?? steps;
  const crossingStep = prediction?.crossingStep ?? null;
  const message =
    prediction && crossingStep !== null
      ? `predicted running objective ${numberText(prediction.predictedScore, 6)} below the threshold at step ${crossingStep}; the guard stopped the episode before the action of step ${step}`
      : `the guard stopped the episode before the action of step ${step} on its prediction`;
  return { line: lastLineIndex(trace), step, crossingStep, message };
}

/** 0-based index of the last line with any text (0 for an empty file). */
function lastLineIndex(data: Uint8Array): number {
  const { starts, ends } = indexLines(data);
  let i = starts.length - 1;
  while (i > 0 && ends[i] === starts[i]) i--;
  return Math.max(0, i);
}
