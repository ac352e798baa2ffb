// A 100k-step trace through the handlers: reports the times (the lead copies them to
// bench/RESULTS.md); asserts only what the user sees, never a time. Targets: diagnostics < 1 s, hover < 50 ms.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MarkupContent } from 'vscode-languageserver';
import { traceDiagnostics } from '../../src/server/diagnostics';
import { traceHover } from '../../src/server/hover';
import { traceInlayHints } from '../../src/server/inlayHints';
import { coerceSettings } from '../../src/shared/settings';
import { analyzeTrace } from '../../src/server/traceAnalysis';
import { buildTrace } from './serverTraceBuilder';

test('100k-step trace: diagnostics and hover (times reported, not asserted)', (t) => {
  const steps = 100_000;
  const trace = buildTrace({ steps, dropAt: 70_000 });
  const t0 = performance.now();
  const a = analyzeTrace(trace.text, coerceSettings({}), () => ({ ok: false, message: 'none' }));
  const diags = traceDiagnostics(a, { relatedInformation: true });
  const tDiag = performance.now() - t0;
  const flag = diags.find((d) => d.code === 'flagged');
  assert.equal(flag?.range.start.line, trace.lineOfStep(trace.flaggedStep!));

  const hoverTimes: number[] = [];
  let last = '';
  for (let i = 0; i < 100; i++) {
    const h0 = performance.now();
    const h = traceHover(a, { line: trace.lineOfStep((i * 7919) % steps), character: 0 });
    hoverTimes.push(performance.now() - h0);
    last = (h?.contents as MarkupContent).value;
  }
  assert.match(last, /\*\*Step \d+\*\*/);
  const lines = trace.text.split('\n');
  const h0 = performance.now();
  const hints = traceInlayHints(
    a,
    { start: { line: 50_000, character: 0 }, end: { line: 50_059, character: 0 } },
    true,
    (l) => lines[l].slice(0, 200),
  );
  const tHints = performance.now() - h0;
  assert.equal(hints.length, 60);
  hoverTimes.sort((x, y) => x - y);
  t.diagnostic(
    `${steps} steps, ${(trace.text.length / 1e6).toFixed(1)} MB: read + flag + diagnostics ${tDiag.toFixed(0)} ms (target < 1000); ` +
      `hover median ${hoverTimes[50].toFixed(3)} ms, max ${hoverTimes[99].toFixed(3)} ms (target < 50); inlay hints for 60 lines ${tHints.toFixed(3)} ms`,
  );
});
