// When a run stops early because the agent (or the environment) cannot run: there is no point in
// going through hundreds of calibration seeds, each maybe costing a step timeout, to report an error
// the first episodes already showed.
//   calibration: 3 failed episodes in a row, or 3 or more failed that are over 10% of those ended
//                (any failure voids the calibration; the rule only decides how soon to say so);
//   deployment:  every episode so far (at least 3) failed the same way (same end reason, message,
//                file and line) — a run where some episodes work keeps going, their traces matter.
import type { EpisodeResult } from './types';

export type FailFastRule = 'calibration' | 'deployment';

export const FAIL_FAST_IN_A_ROW = 3;
export const FAIL_FAST_FRACTION = 0.1;

function failed(r: EpisodeResult): boolean {
  return (
    r.reason !== 'completed' &&
    r.reason !== 'flagged_stop' &&
    r.reason !== 'predicted_stop' &&
    r.reason !== 'killed_by_user'
  );
}

function signature(r: EpisodeResult): string {
  const e = r.error;
  return JSON.stringify([r.reason, e?.message ?? '', e?.file ?? '', e?.line ?? 0]);
}

export class FailFast {
  private ended = 0;
  private failures = 0;
  private inARow = 0;
  private firstSignature: string | null = null;
  private allSame = true;
  /** the first failed episode, in the order episodes ended */
  first: EpisodeResult | null = null;
  /** why the run stopped early, once it did */
  stopped: string | null = null;

  constructor(private readonly rule: FailFastRule) {}

  /** Takes an ended episode; true when the run should start no more episodes. */
  observe(r: EpisodeResult): boolean {
    if (this.stopped) return true;
    if (r.reason === 'killed_by_user') return false;
    this.ended++;
    if (failed(r)) {
      this.failures++;
      this.inARow++;
      this.first ??= r;
      const sig = signature(r);
      this.firstSignature ??= sig;
      if (sig !== this.firstSignature) this.allSame = false;
    } else {
      this.inARow = 0;
      this.allSame = false;
    }
    if (this.rule === 'calibration') {
      if (this.inARow >= FAIL_FAST_IN_A_ROW) this.stopped = `${this.inARow} calibration episodes in a row failed`;
      else if (this.failures >= FAIL_FAST_IN_A_ROW && this.failures > FAIL_FAST_FRACTION * this.ended) {
        this.stopped = `${this.failures} of ${this.ended} calibration episodes failed (over ${FAIL_FAST_FRACTION * 100}%)`;
      }
    } else if (this.allSame && this.failures >= FAIL_FAST_IN_A_ROW && this.failures === this.ended) {
      this.stopped = `all ${this.failures} episodes so far failed the same way`;
    }
    return this.stopped !== null;
  }
}

/** "message (file:line:col)" for an episode's error, or its end reason. */
export function describeFailure(r: EpisodeResult): string {
  const e = r.error;
  if (!e) return r.reason;
  const where = e.file ? ` at ${e.file}${e.line ? `:${e.line}:${e.column ?? 1}` : ''}` : '';
  return `${r.reason}: ${e.message}${where}`;
}
