// Outline of a trace: the episode (header), its flagged step and its end.

import { SymbolKind, type DocumentSymbol, type Range } from 'vscode-languageserver';
import { episodeLabel, lastLine, lineLength, stepIndexOf, type TraceAnalysis } from './traceAnalysis';

export function traceSymbols(a: TraceAnalysis): DocumentSymbol[] {
  const { read, flag } = a;
  const lineRange = (line: number): Range => ({
    start: { line, character: 0 },
    end: { line, character: lineLength(read, line) },
  });
  const children: DocumentSymbol[] = [];
  if (flag.flaggedStep !== null) {
    const i = stepIndexOf(read, flag.flaggedStep);
    if (i >= 0) {
      const r = lineRange(read.stepLines[i]);
      children.push({
        name: `flag at step ${flag.flaggedStep}`,
        detail: flag.reflagged ? 're-flagged' : '',
        kind: SymbolKind.Event,
        range: r,
        selectionRange: r,
      });
    }
  }
  if (read.end && read.endLine >= 0) {
    const r = lineRange(read.endLine);
    children.push({
      name: `end: ${read.end.reason}`,
      detail: `${read.end.steps} steps`,
      kind: SymbolKind.Event,
      range: r,
      selectionRange: r,
    });
  }
  if (!read.header || read.headerLine < 0) return children;
  const h = read.header;
  const last = lastLine(read);
  const headerRange = lineRange(read.headerLine);
  return [
    {
      name: `episode ${h.episodeId}`,
      detail: episodeLabel(h),
      kind: SymbolKind.Class,
      range: { start: { line: read.headerLine, character: 0 }, end: { line: last, character: lineLength(read, last) } },
      selectionRange: headerRange,
      children,
    },
  ];
}
