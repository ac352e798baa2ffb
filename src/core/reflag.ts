// Re-flagging: run the monitor over recorded increments (thresholds and detector settings change
// what is flagged, never what was recorded). Pure; nothing is run. flagRecordedTrace is the one
// place that decides what a trace's flag is under the settings: the language server, the
// extension's views and the CLI all call it.

import type { CalibrationFile } from './calibrationTypes';
import type { CalibrationLoader } from './calibrationFile';
import { withAlpha } from './calibration';
import { createMonitor } from './detectors';
import { describeDetector, sameDetector, type DetectorConfig } from './detectorConfig';
import type { TraceHeader } from './traceFormat';
import type { TraceReadResult } from './traceReader';
import { firstMissingStep } from './traceOrder';
import type { GuardPrediction } from './guardTypes';
import { reflagGuard } from './guardReflag';

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
  increments: ArrayLike<number>,
  config: DetectorConfig,
  calibration: CalibrationFile | null,
  alpha?: number,
): ReflagResult {
  const cal =
    calibration && alpha !== undefined && config.kind !== 'fixed' ? withAlpha(calibration, alpha) : calibration;
  const monitor = createMonitor(config, cal);
  const n = increments.length;
  const scores = new Float64Array(n);
  const statistics = new Float64Array(n);
  const thresholds = new Float64Array(n);
  monitor.scan(increments, 0, n, { scores, statistics, thresholds });
  return { flaggedStep: monitor.flaggedStep < 0 ? null : monitor.flaggedStep, scores, statistics, thresholds };
}

/** What the detector settings ask of recorded traces. */
export interface FlagSettings {
  /** null: `recorded` — every trace keeps the flags it was recorded with (and `alpha` is ignored) */
  detector: DetectorConfig | null;
  /** null: the alpha the trace's calibration was computed for */
  alpha: number | null;
}

export const AS_RECORDED: FlagSettings = { detector: null, alpha: null };

/** A recorded trace as columns, index-aligned: record i is step `stepNumbers[i]` (or i when null). */
export interface RecordedTrace {
  header: TraceHeader | null;
  steps: number;
  stepNumbers: ArrayLike<number> | null;
  increments: ArrayLike<number>;
  /** as recorded */
  thresholds: Float64Array;
  statistics: Float64Array;
  /** the first step recorded with flag: true, or null */
  recordedFlaggedStep: number | null;
  /** the guard's look-ahead that fired (episode_end.prediction), or null */
  prediction: GuardPrediction | null;
}

/** The core reader's step records as columns (the extension's column reader gives these directly). */
export function recordedTraceOf(read: Pick<TraceReadResult, 'header' | 'steps' | 'end'>): RecordedTrace {
  const steps = read.steps;
  const n = steps.length;
  const stepNumbers = new Float64Array(n);
  const increments = new Float64Array(n);
  const thresholds = new Float64Array(n);
  const statistics = new Float64Array(n);
  let recordedFlaggedStep: number | null = null;
  for (let i = 0; i < n; i++) {
    const s = steps[i];
    stepNumbers[i] = s.step;
    increments[i] = s.increment;
    thresholds[i] = s.threshold;
    statistics[i] = s.statistic;
    if (s.flag && recordedFlaggedStep === null) recordedFlaggedStep = s.step;
  }
  return {
    header: read.header,
    steps: n,
    stepNumbers,
    increments,
    thresholds,
    statistics,
    recordedFlaggedStep,
    prediction: read.end?.prediction ?? null,
  };
}

/** The flags every view shows (panel, Runs view, Problems, hover, status bar, CLI). Per-step
 *  arrays are index-aligned with the trace's records. */
export interface TraceFlags {
  /** the detector these flags come from */
  detector: DetectorConfig;
  /** the alpha the threshold was set for; null for a fixed threshold or when unknown */
  alpha: number | null;
  calibration: { alpha: number; file: string; computedAt: string } | null;
  /** true when the values come from re-evaluating the trace under the settings */
  reflagged: boolean;
  /** step number (the trace's `step`, 0-based) of the first alarm, or null */
  flaggedStep: number | null;
  recordedFlaggedStep: number | null;
  thresholds: Float64Array;
  statistics: Float64Array;
  /** why the settings' detector could not be applied (the recorded flags are shown instead) */
  reflagError: string | null;
  /** the predictive guard: the step before whose action it fires under the settings (a predicted
   *  stop, not a reactive flag), as recorded, and what about it the trace cannot tell (null: nothing) */
  predictedStep: number | null;
  recordedPredictedStep: number | null;
  guardNote: string | null;
}

/**
 * The one re-flag rule. `recorded` keeps the recorded flags, full stop. Another detector re-flags
 * when it differs from the trace's own, or when the alpha differs from the one its calibration was
 * computed for (a fixed threshold has no alpha). Never throws: a failure is `reflagError`.
 */
export function flagRecordedTrace(
  trace: RecordedTrace,
  settings: FlagSettings,
  loadCalibration: CalibrationLoader,
): TraceFlags {
  const header = trace.header;
  const recordedPrediction = trace.prediction?.fired ? trace.prediction.step : null;
  const recorded: TraceFlags = {
    detector: header?.detector ?? { kind: 'envelope' },
    alpha: header && header.detector.kind !== 'fixed' ? (header.calibration?.alpha ?? null) : null,
    calibration: header?.calibration
      ? { alpha: header.calibration.alpha, file: header.calibration.file, computedAt: header.calibration.computedAt }
      : null,
    reflagged: false,
    flaggedStep: trace.recordedFlaggedStep,
    recordedFlaggedStep: trace.recordedFlaggedStep,
    thresholds: trace.thresholds,
    statistics: trace.statistics,
    reflagError: null,
    predictedStep: recordedPrediction,
    recordedPredictedStep: recordedPrediction,
    guardNote: null,
  };
  const wanted = settings.detector;
  if (!header || !wanted) return recorded;
  const recordedAlpha = header.calibration?.alpha;
  const alphaChange =
    wanted.kind !== 'fixed' &&
    settings.alpha !== null &&
    (recordedAlpha === undefined || Math.abs(settings.alpha - recordedAlpha) > 1e-12);
  if (sameDetector(wanted, header.detector) && !alphaChange) return recorded;
  const fail = (message: string): TraceFlags => ({
    ...recorded,
    reflagError: `cannot re-flag with detector ${describeDetector(wanted)}: ${message}`,
  });
  const missing = firstMissingStep(trace.stepNumbers, trace.steps);
  if (missing >= 0) return fail(`step ${missing} is missing from the trace`);
  let calibration: CalibrationFile | null = null;
  if (wanted.kind !== 'fixed') {
    if (!header.calibration) return fail('the trace was recorded with a fixed threshold and names no calibration file');
    const loaded = loadCalibration(header.calibration.file);
    if (!loaded.ok) return fail(loaded.message);
    calibration = loaded.calibration;
  }
  try {
    const alpha = wanted.kind === 'fixed' ? null : (settings.alpha ?? calibration?.alpha ?? null);
    const atAlpha = calibration && alpha !== null ? withAlpha(calibration, alpha) : calibration;
    // a guarded trace: its monitor ran with the guard's margin, and the guard's decision is re-made
    const guard = header.guard ? reflagGuard(header.guard, trace.prediction, wanted, atAlpha, trace.increments) : null;
    const r = reflag(trace.increments, wanted, guard ? guard.calibration : atAlpha);
    const g = guard?.decide(r.flaggedStep) ?? null;
    return {
      detector: wanted,
      alpha,
      calibration:
        calibration && header.calibration
          ? { alpha: alpha ?? calibration.alpha, file: header.calibration.file, computedAt: calibration.computedAt }
          : null,
      reflagged: true,
      flaggedStep: r.flaggedStep,
      recordedFlaggedStep: trace.recordedFlaggedStep,
      thresholds: r.thresholds,
      statistics: r.statistics,
      reflagError: null,
      predictedStep: g?.predictedStep ?? null,
      recordedPredictedStep: recordedPrediction,
      guardNote: g?.note ?? null,
    };
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}
