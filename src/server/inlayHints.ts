// The running objective at the end of each step line, only for the lines asked for: VS Code asks
// for the visible range, so a 100k-step trace costs a screenful.

import { InlayHint, type Range } from 'vscode-languageserver';
import { fmt } from './format';
import { firstStepIndexFrom, lineLength, type TraceAnalysis } from './traceAnalysis';

/** Hints beyond this many in one request are dropped (a client asking for the whole file). */
export const MAX_INLAY_HINTS = 5000;

export function traceInlayHints(a: TraceAnalysis, range: Range, enabled: boolean): InlayHint[] {
  if (!enabled) return [];
  const { read, flag } = a;
  const out: InlayHint[] = [];
  const endLine = range.end.line;
  for (let i = firstStepIndexFrom(read, range.start.line); i < read.steps.length && out.length < MAX_INLAY_HINTS; i++) {
    const line = read.stepLines[i];
    if (line > endLine) break;
    const s = read.steps[i];
    const hint = InlayHint.create({ line, character: lineLength(read, line) }, `S=${fmt(s.score)}${flag.flaggedStep === s.step ? ' ⚑' : ''}`);
    hint.paddingLeft = true;
    hint.tooltip = `running objective after step ${s.step}; threshold ${fmt(flag.thresholds[i])}, margin ${fmt(s.score - flag.thresholds[i])}`;
    out.push(hint);
  }
  return out;
}
