// The one ordering check for trace records, shared by the language server's reader
// (core/traceReader.ts) and the extension's column reader (extension/traceColumns.ts): a header
// only on line 0, one reset before the first step, steps strictly increasing from 0 (a gap is
// reported and the step kept; a step going back is dropped), at most one flag, nothing after
// episode_end, and an episode_end that agrees with the steps before it.

import type { TraceRecord } from './traceFormat';
import type { TraceProblem } from './traceProblem';

export class RecordOrder {
  headerLine = -1;
  resetLine = -1;
  endLine = -1;
  /** accepted step records so far */
  steps = 0;
  /** the first step recorded with flag: true, or -1 */
  flaggedStep = -1;
  private expectStep = 0;

  /** Checks the record on `line` (0-based); problems go to `report`. True when the record is accepted. */
  accept(rec: TraceRecord, line: number, report: (p: TraceProblem) => void): boolean {
    if (this.endLine >= 0) {
      report({
        line,
        kind: 'order',
        message: `a ${rec.type} record after episode_end (line ${this.endLine + 1}); episode_end must be last`,
      });
      return false;
    }
    switch (rec.type) {
      case 'header':
        if (this.headerLine >= 0) {
          report({ line, kind: 'order', message: `a second header (the first is on line ${this.headerLine + 1})` });
          return false;
        }
        if (line !== 0) {
          report({ line, kind: 'order', message: 'the header must be the first line' });
          return false;
        }
        this.headerLine = line;
        return true;
      case 'reset':
        if (this.resetLine >= 0) {
          report({ line, kind: 'order', message: `a second reset (the first is on line ${this.resetLine + 1})` });
          return false;
        }
        if (this.steps > 0) {
          report({ line, kind: 'order', message: 'reset after a step; reset comes before the first step' });
          return false;
        }
        this.resetLine = line;
        return true;
      case 'step': {
        const expect = this.expectStep;
        if (rec.step < expect) {
          report({
            line,
            kind: 'order',
            message: `step ${rec.step} out of order: expected step ${expect} (steps must strictly increase from 0)`,
          });
          return false;
        }
        if (rec.step > expect) {
          const missing = rec.step - 1 === expect ? `step ${expect} is` : `steps ${expect}..${rec.step - 1} are`;
          report({
            line,
            kind: 'order',
            message: `expected step ${expect}, found step ${rec.step}: ${missing} missing`,
          });
        }
        if (rec.flag) {
          if (this.flaggedStep >= 0)
            report({
              line,
              kind: 'inconsistent',
              message: `step ${rec.step} is flagged but step ${this.flaggedStep} already was; only the first alarm is the flag`,
            });
          else this.flaggedStep = rec.step;
        }
        this.expectStep = rec.step + 1;
        this.steps++;
        return true;
      }
      case 'episode_end':
        this.endLine = line;
        if (rec.steps !== this.steps) {
          report({
            line,
            kind: 'inconsistent',
            message: `episode_end says ${rec.steps} steps but the trace holds ${this.steps} step records`,
          });
        }
        if ((rec.flaggedStep ?? -1) !== this.flaggedStep) {
          report({
            line,
            kind: 'inconsistent',
            message: `episode_end says flaggedStep ${rec.flaggedStep} but ${this.flaggedStep < 0 ? 'no step is flagged' : `step ${this.flaggedStep} is flagged`}`,
          });
        }
        return true;
    }
  }
}

/** The first step missing from `0..n-1` when record i should hold step i (`stepNumbers` null: none
 *  is), or -1. Re-flagging needs every step from 0: a gap would shift the detector's per-step model. */
export function firstMissingStep(stepNumbers: ArrayLike<number> | null, n: number): number {
  if (!stepNumbers) return -1;
  for (let i = 0; i < n; i++) if (stepNumbers[i] !== i) return i;
  return -1;
}
