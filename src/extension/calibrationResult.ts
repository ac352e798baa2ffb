// What a calibration found, read back from the file it saved: each detector's threshold, the
// false-alarm bound, the episodes used. Shown in the calibration panel, the notification and the
// output channel.
import fs from 'node:fs';
import type { CalibratedDetector, CalibrationResult } from '../shared/webviewProtocol';
import { numberText } from '../core/numberText';

const KINDS = ['envelope', 'window', 'cusum'] as const;

/** The engine's notice naming the saved file (relative to the engine's working folder). */
export const SAVED_NOTICE = /^Calibration saved: (.+)$/;

/** Reads the calibration file; an error names the file and what is missing. */
export function readCalibrationResult(file: string): CalibrationResult {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the calibration: ${(e as Error).message}`, { cause: e });
  }
  const c = v as {
    alpha?: unknown;
    fitEpisodes?: unknown;
    conformalEpisodes?: unknown;
    detectors?: Record<string, Record<string, unknown>>;
    warnings?: unknown;
  };
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.alpha !== 'number' ||
    typeof c.detectors !== 'object' ||
    c.detectors === null
  ) {
    throw new Error(`${file}: not a calibration file (expected "alpha" and "detectors")`);
  }
  const detectors: CalibratedDetector[] = [];
  for (const kind of KINDS) {
    const d = c.detectors[kind];
    if (
      !d ||
      typeof d.h !== 'number' ||
      typeof d.bound !== 'number' ||
      typeof d.k !== 'number' ||
      typeof d.n !== 'number'
    )
      continue;
    detectors.push({ kind, threshold: d.h, bound: d.bound, k: d.k, n: d.n, guaranteed: d.guaranteed !== false });
  }
  if (detectors.length === 0)
    throw new Error(`${file}: no calibrated detector (expected detectors.envelope/window/cusum with "h" and "bound")`);
  return {
    file,
    alpha: c.alpha,
    fitEpisodes: typeof c.fitEpisodes === 'number' ? c.fitEpisodes : 0,
    conformalEpisodes: typeof c.conformalEpisodes === 'number' ? c.conformalEpisodes : 0,
    detectors,
    warnings: Array.isArray(c.warnings) ? c.warnings.filter((w): w is string => typeof w === 'string') : [],
  };
}

/** One line for a notification: thresholds per detector, episodes used, the false-alarm bound. */
export function calibrationSummary(r: CalibrationResult): string {
  const thresholds = r.detectors.map((d) => `${d.kind} ${numberText(d.threshold)}`).join(', ');
  const bounds = [...new Set(r.detectors.map((d) => `${d.k}/${d.n + 1} = ${numberText(d.bound)}`))];
  const notGuaranteed = r.detectors.filter((d) => !d.guaranteed).map((d) => d.kind);
  return (
    `thresholds ${thresholds}; ${r.fitEpisodes + r.conformalEpisodes} episodes used (${r.conformalEpisodes} held out); ` +
    `false-alarm bound ${bounds.join(' / ')} (alpha ${numberText(r.alpha)})` +
    (notGuaranteed.length ? `; NOT guaranteed for ${notGuaranteed.join(', ')}: too few held-out episodes` : '')
  );
}

/** The full table, for the output channel. */
export function calibrationTable(label: string, r: CalibrationResult): string {
  const lines = [
    `calibration ${label}: alpha ${numberText(r.alpha)}, ${r.fitEpisodes} episodes fitted, ${r.conformalEpisodes} held out`,
  ];
  for (const d of r.detectors) {
    lines.push(
      `  ${d.kind.padEnd(8)} threshold ${numberText(d.threshold).padStart(10)}   false-alarm bound ${d.k}/${d.n + 1} = ${numberText(d.bound)}${d.guaranteed ? '' : '  (NOT guaranteed: too few episodes)'}`,
    );
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  lines.push(`  saved to ${r.file}`);
  return lines.join('\n');
}
