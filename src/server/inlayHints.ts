// The running objective on each step line, only for the lines asked for: VS Code asks for the
// visible range, so a 100k-step trace costs a screenful. The hint sits right after the step number
// (`"step":12` S=3.4), where the eye is: a step line with its observation is often hundreds of
// characters long, and a hint at its end was out of sight.

import { InlayHint, type Range } from 'vscode-languageserver';
import { numberText } from '../core/numberText';
import { firstStepIndexFrom, lineLength, type TraceAnalysis } from './traceAnalysis';

/** Hints beyond this many in one request are dropped (a client asking for the whole file). */
export const MAX_INLAY_HINTS = 5000;
/** How much of a line's start is searched for the step field (the engine writes it second). */
export const STEP_FIELD_SEARCH = 200;

/** `lineText(line)` gives the line's text (the start is enough), to find the step number on it. */
export function traceInlayHints(
  a: TraceAnalysis,
  range: Range,
  enabled: boolean,
  lineText: (line: number) => string,
): InlayHint[] {
  if (!enabled) return [];
  const { read, flag } = a;
  const out: InlayHint[] = [];
  const endLine = range.end.line;
  for (let i = firstStepIndexFrom(read, range.start.line); i < read.steps.length && out.length < MAX_INLAY_HINTS; i++) {
    const line = read.stepLines[i];
    if (line > endLine) break;
    const s = read.steps[i];
    const hint = InlayHint.create(
      { line, character: afterStepNumber(lineText(line), s.step) ?? lineLength(read, line) },
      `S=${numberText(s.score)}${flag.flaggedStep === s.step ? ' ⚑' : ''}`,
    );
    hint.paddingLeft = true;
    hint.paddingRight = true;
    hint.tooltip = `running objective at step ${s.step}; threshold ${numberText(flag.thresholds[i])}, margin ${numberText(s.score - flag.thresholds[i])}`;
    out.push(hint);
  }
  return out;
}

/** The character just after `"step":N` on a step line, or undefined when it is not there as written. */
export function afterStepNumber(text: string, step: number): number | undefined {
  const key = `"step":${step}`;
  let at = text.indexOf(key);
  // `"step":12` is not step 1
  while (at >= 0 && /\d/.test(text.charAt(at + key.length))) at = text.indexOf(key, at + 1);
  return at < 0 ? undefined : at + key.length;
}
