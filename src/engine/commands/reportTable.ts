// The table both reports print (report, and report over recorded run folders): one row per agent
// and detector, its false-alarm or detection rate and the median flag step and delay.
import type { CliOutput } from '../cliOutput';

/** One agent under one detector. */
export interface RateRow {
  agent: string;
  detector: string;
  role: 'false-alarm' | 'detection';
  episodes: number;
  flagged: number;
  rate: number;
  /** median flagged step */
  medianFlagStep: number | null;
  /** median of (flagged step - first step whose increment differs from the reference agent's on the same seed) */
  medianDelay: number | null;
}

/** A rate as a percentage with one decimal, e.g. 0.125 -> "12.5%". */
export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** The rows as a table for a person, with the line saying what the delay is. */
export function printRateTable(out: CliOutput, rows: readonly RateRow[]): void {
  out.line('agent        detector   rate               flagged  median flag step  median delay');
  for (const r of rows) {
    const label = r.role === 'false-alarm' ? `false alarms ${pct(r.rate)}` : `detected ${pct(r.rate)}`;
    out.line(
      `${r.agent.padEnd(12)} ${r.detector.padEnd(10)} ${label.padEnd(18)} ${`${r.flagged}/${r.episodes}`.padStart(7)}  ${String(r.medianFlagStep ?? '-').padStart(16)}  ${String(r.medianDelay ?? '-').padStart(12)}`,
    );
  }
  out.line('');
  out.line(
    "delay = flagged step minus the first step whose increment differs from the aligned agent's on the same seed",
  );
}
