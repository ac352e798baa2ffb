// What a flagged episode says, and where in its trace it says it: shared by the CI reports (JUnit,
// SARIF) and the Testing view so a CI dashboard and the editor show the same sentence and point at
// the same line.
import { describeDetector, type DetectorConfig } from './detectorConfig';
import { lineOfStep, readTrace } from './traceReader';

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
  return `running objective${score === null ? '' : ` ${fmtNumber(score)}`} fell below the threshold${threshold === null ? '' : ` ${fmtNumber(threshold)}`} at step ${step} (detector ${d}${alpha === null ? '' : `, alpha ${alpha}`})`;
}

export function fmtNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6).replace(/\.?0+$/, '');
}
