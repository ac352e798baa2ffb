// The one parser of calibration files (the language server, the extension and the CLI all read
// them through it). It checks what re-flagging indexes, so a damaged file is refused with a
// message naming the file instead of throwing mid-re-flag; fields it does not know are kept and
// ignored, so a newer engine may add some without breaking older readers.

import type { CalibrationFile } from './calibrationTypes';

export type CalibrationLoad = { ok: true; calibration: CalibrationFile } | { ok: false; message: string };
/** Loads a calibration file by absolute path; must not throw. */
export type CalibrationLoader = (file: string) => CalibrationLoad;

export function parseCalibrationFile(file: string, text: string): CalibrationLoad {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      message: `calibration file ${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  const o = v as Partial<CalibrationFile> | null;
  if (
    !o ||
    typeof o !== 'object' ||
    Array.isArray(o) ||
    o.version !== 1 ||
    !o.detectors ||
    typeof o.detectors !== 'object' ||
    typeof o.alpha !== 'number'
  ) {
    return {
      ok: false,
      message: `calibration file ${file}: expected a version 1 calibration with 'alpha' and 'detectors'`,
    };
  }
  for (const k of ['envelope', 'window', 'cusum'] as const) {
    const d = o.detectors[k];
    if (!d || typeof d.h !== 'number' || !d.model || !Array.isArray(d.model.mean) || !Array.isArray(d.model.sd)) {
      return { ok: false, message: `calibration file ${file}: detectors.${k} is missing or has no model` };
    }
    if (d.extremes !== undefined && !Array.isArray(d.extremes)) {
      return { ok: false, message: `calibration file ${file}: detectors.${k}.extremes must be an array of numbers` };
    }
  }
  const b = o.band;
  if (b !== undefined && (!b || !Array.isArray(b.p05) || !Array.isArray(b.p50) || !Array.isArray(b.p95))) {
    return { ok: false, message: `calibration file ${file}: band must hold the arrays p05, p50 and p95` };
  }
  return { ok: true, calibration: o as CalibrationFile };
}
