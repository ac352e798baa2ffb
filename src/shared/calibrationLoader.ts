// Reads calibration files from disk for re-flagging (the language server, the extension and the
// CLI), cached by path + mtime + size so a recalibration (atomic rename) is picked up and a
// 100k-step re-flag does not re-read the file. Parsing is core's (calibrationFile.ts).

import fs from 'node:fs';
import { parseCalibrationFile, type CalibrationLoad, type CalibrationLoader } from '../core/calibrationFile';

/** Calibration files above this size are refused rather than parsed on the reader's thread. */
const MAX_CALIBRATION_BYTES = 256 * 1024 * 1024;

export function createCalibrationLoader(): CalibrationLoader {
  const cache = new Map<string, { stamp: string; load: CalibrationLoad }>();
  return (file) => {
    try {
      const st = fs.statSync(file);
      const stamp = `${st.mtimeMs}:${st.size}`;
      const hit = cache.get(file);
      if (hit && hit.stamp === stamp) return hit.load;
      const load: CalibrationLoad =
        st.size > MAX_CALIBRATION_BYTES
          ? {
              ok: false,
              message: `calibration file ${file} is ${st.size} bytes; the limit is ${MAX_CALIBRATION_BYTES}`,
            }
          : parseCalibrationFile(file, fs.readFileSync(file, 'utf8'));
      cache.set(file, { stamp, load });
      return load;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return {
        ok: false,
        message: `calibration file ${file} could not be read${code ? ` (${code})` : `: ${String(e)}`}`,
      };
    }
  };
}
