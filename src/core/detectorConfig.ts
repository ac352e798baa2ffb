// Detector settings. Every detector expresses its alarm at step t as a level of the running
// objective: `threshold_t`, with alarm when S_t < threshold_t. So traces, charts and messages all
// speak of one thing ("the running objective fell below the threshold"), whatever the detector.

export type DetectorKind = 'envelope' | 'window' | 'cusum' | 'fixed';

export type DetectorConfig =
  | { kind: 'envelope' }
  /** z-score of the sum of the last `window` increments */
  | { kind: 'window'; window: number }
  /** Page's CUSUM on standardized increments; `k` is the allowance (slack) in standard deviations */
  | { kind: 'cusum'; k: number }
  /** alarm when S_t < threshold; needs no calibration */
  | { kind: 'fixed'; threshold: number };

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_WINDOW = 20;
export const DEFAULT_CUSUM_K = 0.5;

export function sameDetector(a: DetectorConfig, b: DetectorConfig): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'envelope':
      return true;
    case 'window':
      return a.window === (b as typeof a).window;
    case 'cusum':
      return a.k === (b as typeof a).k;
    case 'fixed':
      return a.threshold === (b as typeof a).threshold;
  }
}

/** "envelope", "window w=20", "cusum k=0.5", "fixed -10": how every view names a detector. */
export function describeDetector(d: DetectorConfig): string {
  switch (d.kind) {
    case 'envelope':
      return 'envelope';
    case 'window':
      return `window w=${d.window}`;
    case 'cusum':
      return `cusum k=${d.k}`;
    case 'fixed':
      return `fixed ${d.threshold}`;
  }
}
