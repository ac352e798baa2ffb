// The server must never throw into the connection: every handler over every input returns.
// Random lines, random truncations of a real trace, random settings and positions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { coerceSettings } from '../../src/shared/settings';
import type { CalibrationLoader } from '../../src/core/calibrationFile';
import { analyzeTrace } from '../../src/server/traceAnalysis';
import { traceDiagnostics } from '../../src/server/diagnostics';
import { traceHover } from '../../src/server/hover';
import { traceCodeLenses } from '../../src/server/codeLenses';
import { traceInlayHints } from '../../src/server/inlayHints';
import { traceSymbols } from '../../src/server/documentSymbols';
import { headerDefinition } from '../../src/server/definition';
import { traceSummary } from '../../src/server/traceSummary';
import { buildTrace } from './serverTraceBuilder';

const loader: CalibrationLoader = () => ({ ok: false, message: 'none' });

/** Runs every handler; returns the number of diagnostics so the result is used. */
function everything(text: string, rawSettings: unknown, line: number, character: number): number {
  const a = analyzeTrace(text, coerceSettings(rawSettings), loader);
  const diags = traceDiagnostics(a, { relatedInformation: true, maxProblems: 50 });
  const lineCount = a.read.lines.starts.length;
  for (const d of diags) {
    assert.ok(
      d.range.start.line >= 0 && d.range.start.line <= Math.max(0, lineCount - 1),
      `diagnostic line ${d.range.start.line} of ${lineCount}`,
    );
    assert.equal(typeof d.message, 'string');
  }
  traceHover(a, { line, character });
  traceCodeLenses(a, 'file:///x.trace.jsonl');
  traceInlayHints(
    a,
    { start: { line: 0, character: 0 }, end: { line: line + 5, character: 0 } },
    true,
    (l) => text.split('\n')[l] ?? '',
  );
  traceSymbols(a);
  traceSummary(a, 'file:///x.trace.jsonl', 'document', { relatedInformation: true });
  if (a.read.header) headerDefinition(a.read.header, text.split('\n')[0] ?? '', { line: 0, character });
  return diags.length;
}

const settingsArb = fc.oneof(
  fc.constant({}),
  fc.record({
    detector: fc.record({
      kind: fc.constantFrom('recorded', 'envelope', 'window', 'cusum', 'fixed', 'x'),
      window: fc.integer(),
      fixedThreshold: fc.double(),
    }),
  }),
  fc.anything(),
);

test('random lines: every handler returns', () => {
  const lineArb = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.json({ maxDepth: 3 }),
    fc.constantFrom(
      '{"type":"step"}',
      '{"type":"header"}',
      '{"type":"episode_end","reason":"crashed","steps":1,"score":0,"flaggedStep":null,"durationMs":1}',
      '\r',
      '\uFEFF{}',
      '"a\\u0000"',
      '1e999',
    ),
  );
  fc.assert(
    fc.property(
      fc.array(lineArb, { maxLength: 30 }),
      fc.boolean(),
      settingsArb,
      fc.nat(40),
      fc.nat(200),
      (lines, newline, s, line, ch) => {
        everything(lines.join('\n') + (newline ? '\n' : ''), s, line, ch);
      },
    ),
    { numRuns: 300 },
  );
});

test('random truncations and splices of a real trace: every handler returns, and a cut trace is never reported complete', () => {
  const t = buildTrace({
    steps: 30,
    dropAt: 10,
    calibration: { file: '/c.json', hash: 'h', alpha: 0.05, computedAt: 'x' },
    detector: { kind: 'cusum', k: 0.5 },
  });
  fc.assert(
    fc.property(
      fc.nat(t.text.length - 1),
      fc.string({ maxLength: 20 }),
      settingsArb,
      fc.nat(40),
      (cut, junk, s, line) => {
        const text = t.text.slice(0, cut) + junk;
        everything(text, s, line, 3);
        const a = analyzeTrace(text, coerceSettings(s), loader);
        // The episode_end line is the last one; cutting anywhere before its newline loses it.
        if (cut < t.text.length - 1) assert.ok(a.read.end === null || junk.length > 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('a very long line is capped, not parsed, and the rest of the trace still reads', () => {
  const t = buildTrace({ steps: 5, dropAt: 100 });
  const lines = t.text.split('\n');
  lines.splice(3, 0, '{"type":"step","junk":"' + 'a'.repeat(3 * 1024 * 1024) + '"}');
  const a = analyzeTrace(lines.join('\n'), coerceSettings({}), loader);
  assert.ok(a.read.problems.some((p) => p.line === 3 && /limit/.test(p.message)));
  assert.equal(a.read.end?.reason, 'completed');
});
