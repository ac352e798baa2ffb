// Reads calibration files from disk for re-flagging, cached by path + mtime + size so a
// recalibration (atomic rename) is picked up and a 100k-step re-flag does not re-read the file.

import fs from 'node:fs';
import type { CalibrationFile } from '../core/calibrationTypes';
import type { CalibrationLoad, CalibrationLoader } from './traceAnalysis';

/** Calibration files above this size are refused rather than parsed on the server's thread. */
const MAX_CALIBRATION_BYTES = 256 * 1024 * 1024;

export function createCalibrationLoader(): CalibrationLoader {
  const cache = new Map<string, { stamp: string; load: CalibrationLoad }>();
  return (file) => {
    try {
      const st = fs.statSync(file);
      const stamp = `${st.mtimeMs}:${st.size}`;
      const hit = cache.get(file);
      if (hit && hit.stamp === stamp) return hit.load;
      const load = st.size > MAX_CALIBRATION_BYTES
        ? { ok: false as const, message: `calibration file ${file} is ${st.size} bytes; the limit is ${MAX_CALIBRATION_BYTES}` }
        : parseCalibration(file, fs.readFileSync(file, 'utf8'));
      cache.set(file, { stamp, load });
      return load;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, message: `calibration file ${file} could not be read${code ? ` (${code})` : `: ${String(e)}`}` };
    }
  };
}

/** Enough shape checking that re-flagging can index the models without throwing. */
export function parseCalibration(file: string, text: string): CalibrationLoad {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `calibration file ${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const o = v as Partial<CalibrationFile> | null;
  if (!o || typeof o !== 'object' || o.version !== 1 || !o.detectors || typeof o.alpha !== 'number') {
    return { ok: false, message: `calibration file ${file}: expected a version 1 calibration with 'alpha' and 'detectors'` };
  }
  for (const k of ['envelope', 'window', 'cusum'] as const) {
    const d = o.detectors[k];
    if (!d || typeof d.h !== 'number' || !d.model || !Array.isArray(d.model.mean) || !Array.isArray(d.model.sd)) {
      return { ok: false, message: `calibration file ${file}: detectors.${k} is missing or has no model` };
    }
  }
  return { ok: true, calibration: o as CalibrationFile };
}
