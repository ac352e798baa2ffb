// The running objective on each step line, only for the lines asked for: VS Code asks for the
// visible range, so a 100k-step trace costs a screenful. The hint sits right after the line's
// `"step":N` field, where the eye reads the step number: a step line is hundreds of columns of
// JSON, and a hint at its end is past the right edge of every editor.

import { InlayHint, type Range } from 'vscode-languageserver';
import { fmt } from './format';
import { firstStepIndexFrom, lineLength, type TraceAnalysis } from './traceAnalysis';

/** Hints beyond this many in one request are dropped (a client asking for the whole file). */
export const MAX_INLAY_HINTS = 5000;
/** How much of a line's start is searched for the step field (the engine writes it second). */
export const STEP_FIELD_SEARCH = 200;

const STEP_FIELD = /"step"\s*:\s*-?\d+\s*,?/;

/** The character just after the line's `"step":N,` field, or null when its start has none. */
export function afterStepField(lineStart: string): number | null {
  const m = STEP_FIELD.exec(lineStart);
  return m ? m.index + m[0].length : null;
}

/** `lineStart(line)`: the first STEP_FIELD_SEARCH characters of a line (the document's text). */
export function traceInlayHints(a: TraceAnalysis, range: Range, enabled: boolean, lineStart?: (line: number) => string): InlayHint[] {
  if (!enabled) return [];
  const { read, flag } = a;
  const out: InlayHint[] = [];
  const endLine = range.end.line;
  for (let i = firstStepIndexFrom(read, range.start.line); i < read.steps.length && out.length < MAX_INLAY_HINTS; i++) {
    const line = read.stepLines[i];
    if (line > endLine) break;
    const s = read.steps[i];
    const at = lineStart ? afterStepField(lineStart(line)) : null;
    const hint = InlayHint.create({ line, character: at ?? lineLength(read, line) }, `S=${fmt(s.score)}${flag.flaggedStep === s.step ? ' ⚑' : ''}`);
    hint.paddingLeft = true;
    hint.paddingRight = at !== null;
    hint.tooltip = `running objective after step ${s.step}; threshold ${fmt(flag.thresholds[i])}, margin ${fmt(s.score - flag.thresholds[i])}`;
    out.push(hint);
  }
  return out;
}
