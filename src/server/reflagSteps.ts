// Re-evaluates recorded steps under another detector (core reflag), loading the calibration file
// named in the trace's header. Thresholds change what is flagged, never what was recorded.

import type { DetectorConfig } from '../core/detectorConfig';
import type { TraceHeader, TraceStep } from '../core/traceFormat';
import { reflag } from '../core/reflag';
import type { CalibrationLoader } from './traceAnalysis';

export type ReflagResult =
  | { ok: true; flaggedStep: number | null; thresholds: ArrayLike<number>; statistics: ArrayLike<number>; alpha: number | null }
  | { ok: false; message: string };

export function reflagSteps(
  steps: readonly TraceStep[], header: TraceHeader, detector: DetectorConfig, alpha: number | null, loadCalibration: CalibrationLoader,
): ReflagResult {
  // Re-flagging needs every step from 0: a gap would shift the detector's per-step model.
  for (let i = 0; i < steps.length; i++) {
    if (steps[i].step !== i) return { ok: false, message: `step ${i} is missing from the trace` };
  }
  const increments = new Float64Array(steps.length);
  for (let i = 0; i < steps.length; i++) increments[i] = steps[i].increment;
  let calibration = null;
  if (detector.kind !== 'fixed') {
    if (!header.calibration) return { ok: false, message: 'the trace was recorded with a fixed threshold and names no calibration file' };
    const loaded = loadCalibration(header.calibration.file);
    if (!loaded.ok) return { ok: false, message: loaded.message };
    calibration = loaded.calibration;
  }
  const r = reflag(increments, detector, calibration, alpha ?? undefined);
  return {
    ok: true,
    flaggedStep: r.flaggedStep,
    thresholds: r.thresholds,
    statistics: r.statistics,
    alpha: detector.kind === 'fixed' ? null : alpha ?? calibration?.alpha ?? null,
  };
}
