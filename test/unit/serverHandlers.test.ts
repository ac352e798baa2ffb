// The language server's handlers as pure functions over trace text: what a user sees in the
// editor (diagnostics, hover, lenses, hints, outline, go to definition) for real trace files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticSeverity, SymbolKind, type Diagnostic, type MarkupContent } from 'vscode-languageserver';
import { coerceSettings } from '../../src/shared/settings';
import type { CalibrationLoader } from '../../src/core/calibrationFile';
import { analyzeTrace } from '../../src/server/traceAnalysis';
import { INCOMPLETE_MESSAGE, traceDiagnostics } from '../../src/server/diagnostics';
import { traceHover } from '../../src/server/hover';
import { traceCodeLenses } from '../../src/server/codeLenses';
import { traceCodeActions } from '../../src/server/codeActions';
import { afterStepNumber, traceInlayHints } from '../../src/server/inlayHints';
import { traceSymbols } from '../../src/server/documentSymbols';
import { headerDefinition } from '../../src/server/definition';
import { traceSummary } from '../../src/server/traceSummary';
import {
  DIAGNOSTIC_SOURCE,
  FindPointOfNoReturnCommand,
  ForkFromStepCommand,
  OpenTraceCommand,
  RerunEpisodeCommand,
} from '../../src/shared/lspProtocol';
import { buildTrace, replaceLine } from './serverTraceBuilder';

const noCalibration: CalibrationLoader = (file) => ({ ok: false, message: `no calibration at ${file}` });
const defaults = coerceSettings({});
const analyze = (text: string, settings = defaults, loader = noCalibration) => analyzeTrace(text, settings, loader);
const opts = { relatedInformation: true };
const URI = 'file:///work/traces/ep-7.trace.jsonl';
const messageOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);

test('the flagged step gets a diagnostic on its line with score, threshold, step and detector', () => {
  const t = buildTrace({ steps: 40, dropAt: 10 });
  assert.ok(t.flaggedStep !== null);
  const diags = traceDiagnostics(analyze(t.text), opts);
  const flag = diags.filter((d) => d.code === 'flagged');
  assert.equal(flag.length, 1);
  const d = flag[0];
  assert.equal(d.range.start.line, t.lineOfStep(t.flaggedStep));
  assert.equal(d.source, DIAGNOSTIC_SOURCE);
  assert.equal(d.severity, DiagnosticSeverity.Warning);
  // score at the flag: 10 steps of +1 then -3 per step until below -10 -> 10 - 3*7 = -11 at step 16
  assert.equal(t.flaggedStep, 16);
  assert.equal(messageOf(d), 'running objective -11 fell below the threshold -10 at step 16 (detector fixed -10)');
  // a completed trace without damage has no other diagnostics
  assert.deepEqual(
    diags.filter((x) => x.code !== 'flagged'),
    [],
  );
});

test('a flagged_stop episode makes the flag an Error and links the calibration file', () => {
  const cal = { file: '/work/scen/coin.calibration.json', hash: 'h', alpha: 0.05, computedAt: '2025-01-01T00:00:00Z' };
  const t = buildTrace({
    steps: 40,
    dropAt: 10,
    stopAtFlag: true,
    detector: { kind: 'cusum', k: 0.5 },
    calibration: cal,
  });
  const a = analyze(t.text);
  const d = traceDiagnostics(a, opts).find((x) => x.code === 'flagged');
  assert.ok(d);
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.match(messageOf(d), /at step 16 \(detector cusum k=0\.5, alpha 0\.05\)$/);
  assert.equal(d.relatedInformation?.[0].location.uri, 'file:///work/scen/coin.calibration.json');
  // without the client capability there is no related information
  assert.equal(
    traceDiagnostics(a, { relatedInformation: false }).find((x) => x.code === 'flagged')?.relatedInformation,
    undefined,
  );
});

test('malformed lines are Errors with the reader message; a torn tail and a missing end are Warnings', () => {
  const t = buildTrace({ steps: 10, dropAt: 100, end: null, tornTail: '{"type":"step","step":10,"incr' });
  const text = replaceLine(t.text, 5, '{"type":"step","step":3, oops}');
  const diags = traceDiagnostics(analyze(text), opts);
  const malformed = diags.filter((d) => d.code === 'malformed');
  assert.equal(malformed.length, 1);
  assert.equal(malformed[0].range.start.line, 5);
  assert.equal(malformed[0].severity, DiagnosticSeverity.Error);
  assert.match(messageOf(malformed[0]), /invalid JSON/);
  const torn = diags.find((d) => d.code === 'torn');
  assert.ok(torn);
  assert.equal(torn.severity, DiagnosticSeverity.Warning);
  assert.equal(torn.range.start.line, 12);
  const incomplete = diags.find((d) => d.code === 'incomplete');
  assert.ok(incomplete);
  assert.equal(incomplete.severity, DiagnosticSeverity.Warning);
  assert.equal(messageOf(incomplete), INCOMPLETE_MESSAGE);
});

test('a crashed episode shows the reason and the error location on the episode_end line', () => {
  const t = buildTrace({
    steps: 5,
    dropAt: 100,
    end: 'crashed',
    error: { message: 'TypeError: x is undefined', file: '/work/scen/agent.ts', line: 12, column: 5, phase: 'act' },
    detail: { exitCode: 1 },
  });
  const diags = traceDiagnostics(analyze(t.text), opts);
  const d = diags.find((x) => x.code === 'crashed');
  assert.ok(d);
  assert.equal(d.range.start.line, t.endLine);
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.equal(
    messageOf(d),
    'episode ended: crashed after 5 steps: TypeError: x is undefined (/work/scen/agent.ts:12:5, in act) [exitCode 1]',
  );
  assert.equal(d.relatedInformation?.[0].location.uri, 'file:///work/scen/agent.ts');
  assert.equal(d.relatedInformation?.[0].location.range.start.line, 11);
  // killed_by_user is a Warning; completed and flagged_stop are no diagnostic
  const killed = traceDiagnostics(analyze(buildTrace({ steps: 3, dropAt: 100, end: 'killed_by_user' }).text), opts);
  assert.equal(killed.find((x) => x.code === 'killed_by_user')?.severity, DiagnosticSeverity.Warning);
});

test('a garbage file gets capped diagnostics, not one per line', () => {
  const text = Array.from({ length: 3000 }, (_, i) => `garbage ${i}`).join('\n') + '\n';
  const diags = traceDiagnostics(analyze(text), { relatedInformation: false, maxProblems: 100 });
  assert.ok(diags.length <= 102, `got ${diags.length}`);
  assert.ok(diags.some((d) => /more problems not shown/.test(messageOf(d))));
});

test('hover on a step line shows step, action, increment, running objective, threshold, margin, statistic, observation', () => {
  const t = buildTrace({ steps: 40, dropAt: 10 });
  const a = analyze(t.text);
  const h = traceHover(a, { line: t.lineOfStep(16), character: 3 });
  assert.ok(h);
  const md = (h.contents as MarkupContent).value;
  assert.equal((h.contents as MarkupContent).kind, 'markdown');
  assert.match(md, /\*\*Step 16\*\* — flagged/);
  assert.match(md, /action: `0`/);
  assert.match(md, /increment: -3/);
  assert.match(md, /running objective: -11/);
  assert.match(md, /threshold: -10/);
  assert.match(md, /margin \(score − threshold\): -1/);
  assert.match(md, /statistic \(detector fixed -10\): -11/);
  assert.match(md, /observation: `\{"pos":\[2,3\],"note":"x+"\}`/);
  // header and end lines get summaries; the reset line gets nothing
  assert.match(
    (traceHover(a, { line: 0, character: 0 })?.contents as MarkupContent).value,
    /seed 42 \(deployment\), agent `misaligned`/,
  );
  assert.match(
    (traceHover(a, { line: t.endLine!, character: 0 })?.contents as MarkupContent).value,
    /Episode end: completed/,
  );
  assert.equal(traceHover(a, { line: 1, character: 0 }), null);
  assert.equal(traceHover(a, { line: 9999, character: 0 }), null);
});

test('hover shows trace content verbatim inside code spans (backticks cannot break out)', () => {
  const t = buildTrace({ steps: 3, dropAt: 100 });
  const evil = '`<img src=x onerror=alert(1)>` **bold**';
  const text = replaceLine(
    t.text,
    2,
    JSON.stringify({
      type: 'step',
      step: 0,
      increment: 1,
      score: 1,
      statistic: 1,
      threshold: -10,
      flag: false,
      action: evil,
    }),
  );
  const md = (traceHover(analyze(text), { line: 2, character: 0 })?.contents as MarkupContent).value;
  assert.ok(md.includes('`` "`<img src=x onerror=alert(1)>` **bold**" ``'), md);
});

test('code lenses on the header and the flagged step open the replay at that step and re-run the episode', () => {
  const t = buildTrace({ steps: 40, dropAt: 10 });
  const lenses = traceCodeLenses(analyze(t.text), URI);
  const at = (line: number) =>
    lenses
      .filter((l) => l.range.start.line === line)
      .map((l) => [l.command?.title, l.command?.command, l.command?.arguments]);
  const expected = [
    ['Open in replay at step 16', OpenTraceCommand.id, [URI, 16]],
    ['Re-run this episode', RerunEpisodeCommand.id, [URI]],
  ];
  assert.deepEqual(at(0), expected);
  // the flagged step also forks there and finds the point of no return (issue 14)
  assert.deepEqual(at(t.lineOfStep(16)), [
    ...expected,
    ['Fork from here', ForkFromStepCommand.id, [URI, 16]],
    ['Find the point of no return', FindPointOfNoReturnCommand.id, [URI]],
  ]);
  assert.equal(lenses.length, 6);
  // no flag: the header still opens the replay (at step 0)
  const calm = traceCodeLenses(analyze(buildTrace({ steps: 5, dropAt: 100 }).text), URI);
  assert.deepEqual(
    calm.map((l) => l.command?.title),
    ['Open in replay', 'Re-run this episode'],
  );
});

test('a step line offers "Fork from here" as a code action at that step; other lines and scores-only traces do not', () => {
  const t = buildTrace({ steps: 40, dropAt: 10 });
  const a = analyze(t.text);
  const line = t.lineOfStep(7);
  const actions = traceCodeActions(a, URI, { start: { line, character: 3 }, end: { line, character: 3 } });
  assert.deepEqual(
    actions.map((x) => [x.title, x.command?.command, x.command?.arguments]),
    [['Fork from step 7 with another agent', ForkFromStepCommand.id, [URI, 7]]],
  );
  assert.deepEqual(traceCodeActions(a, URI, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }), []);
  const scores = analyze(t.text.replace('"recording":"full"', '"recording":"scores"'));
  assert.deepEqual(traceCodeActions(scores, URI, { start: { line, character: 0 }, end: { line, character: 0 } }), []);
});

test('inlay hints give the running objective right after the step number of each step line, only in the requested range, and can be turned off', () => {
  const t = buildTrace({ steps: 40, dropAt: 10 });
  const a = analyze(t.text);
  const lines = t.text.split('\n');
  const text = (line: number) => lines[line];
  const hints = traceInlayHints(a, { start: { line: 10, character: 0 }, end: { line: 19, character: 0 } }, true, text);
  assert.deepEqual(
    hints.map((h) => h.position.line),
    [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
  );
  for (const h of hints) {
    const step = a.read.steps[a.read.stepLines.indexOf(h.position.line)].step;
    assert.equal(
      lines[h.position.line].slice(0, h.position.character).slice(-`"step":${step}`.length),
      `"step":${step}`,
      'right after the step number',
    );
  }
  // a line without the key as written (hand-edited): at the end of the line
  assert.equal(
    traceInlayHints(a, { start: { line: 10, character: 0 }, end: { line: 10, character: 0 } }, true, () => '{}')[0]
      .position.character,
    lines[10].length,
  );
  const at16 = hints.find((h) => h.position.line === t.lineOfStep(16));
  assert.equal(at16?.label, 'S=-11 ⚑');
  assert.equal(hints.find((h) => h.position.line === t.lineOfStep(8))?.label, 'S=9');
  assert.deepEqual(
    traceInlayHints(a, { start: { line: 0, character: 0 }, end: { line: 100, character: 0 } }, false, text),
    [],
  );
  assert.equal(
    traceInlayHints(a, { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, true, text).length,
    0,
  );
});

test('with the line text, inlay hints sit right after the step field, where the eye reads the step number', () => {
  const t = buildTrace({ steps: 40, dropAt: 10 });
  const a = analyze(t.text);
  const lines = t.text.split('\n');
  const hints = traceInlayHints(a, { start: { line: 0, character: 0 }, end: { line: 100, character: 0 } }, true, (l) =>
    lines[l].slice(0, 200),
  );
  assert.equal(hints.length, 40);
  for (const h of hints) {
    const text = lines[h.position.line];
    const m = /"step":(\d+)/.exec(text)!;
    assert.equal(h.position.character, m.index + m[0].length, `line ${h.position.line}: after ${m[0]}`);
    assert.ok(h.position.character < 40, `column ${h.position.character}`);
    assert.ok(h.paddingLeft && h.paddingRight);
  }
  assert.equal(afterStepNumber('{"type":"step","step":12,"score":1}', 12), 24);
  assert.equal(afterStepNumber('{"type":"step","step":12,"score":1}', 1), undefined);
  assert.equal(afterStepNumber('{"type":"step","score":1}', 0), undefined);
});

test('document symbols: the episode with seed and agent, its flagged step and its end', () => {
  const t = buildTrace({ steps: 40, dropAt: 10, stopAtFlag: true });
  const syms = traceSymbols(analyze(t.text));
  assert.equal(syms.length, 1);
  assert.equal(syms[0].name, 'episode ep-7');
  assert.equal(syms[0].detail, 'seed 42, agent misaligned');
  assert.equal(syms[0].kind, SymbolKind.Class);
  assert.deepEqual(
    syms[0].children?.map((c) => [c.name, c.range.start.line]),
    [
      ['flag at step 16', t.lineOfStep(16)],
      ['end: flagged_stop', t.endLine],
    ],
  );
});

test('go to definition from the header module paths; gymnasium ids and option strings are not links', () => {
  const t = buildTrace({
    steps: 2,
    dropAt: 100,
    modules: { environment: 'gymnasium:CartPole-v1', agent: '/work/scen/my agent.ts' },
  });
  const headerText = t.text.split('\n')[0];
  const col = (s: string) => headerText.indexOf(s) + 2;
  const agent = headerDefinition(t.header, headerText, { line: 0, character: col('"/work/scen/my agent.ts"') });
  assert.equal(agent?.uri, 'file:///work/scen/my%20agent.ts');
  const objective = headerDefinition(t.header, headerText, { line: 0, character: col('"/work/scen/objective.ts"') });
  assert.equal(objective?.uri, 'file:///work/scen/objective.ts');
  assert.equal(headerDefinition(t.header, headerText, { line: 0, character: col('"gymnasium:CartPole-v1"') }), null);
  assert.equal(headerDefinition(t.header, headerText, { line: 0, character: col('"ep-7"') }), null);
});

test('re-flag settings fall back to the recorded flag with a warning when no calibration can be read', () => {
  const cal = { file: '/nowhere/coin.calibration.json', hash: 'h', alpha: 0.05, computedAt: 'x' };
  const t = buildTrace({ steps: 40, dropAt: 10, detector: { kind: 'cusum', k: 0.5 }, calibration: cal });
  const a = analyze(t.text, coerceSettings({ detector: { kind: 'window', window: 5 } }));
  assert.equal(a.flag.reflagged, false);
  assert.equal(a.flag.flaggedStep, 16);
  const w = traceDiagnostics(a, opts).find((d) => d.code === 'reflag');
  assert.ok(w);
  assert.match(messageOf(w), /^cannot re-flag with detector window w=5: .*; showing the recorded flag$/);
  // settings equal to the recorded detector do not re-flag
  const same = analyze(t.text, coerceSettings({ detector: { kind: 'cusum', cusumK: 0.5 } }));
  assert.equal(same.flag.reflagError, null);
  assert.equal(same.flag.reflagged, false);
});

test('settings are coerced field by field', () => {
  const s = coerceSettings({
    detector: { kind: 'bogus', window: -3, cusumK: 1.5, alpha: 2, fixedThreshold: 'x' },
    'traces.inlayHints': false,
  });
  assert.deepEqual(s, {
    detector: { kind: 'recorded', window: 20, cusumK: 1.5, alpha: null, fixedThreshold: 0 },
    traces: { inlayHints: false },
  });
  assert.deepEqual(coerceSettings(null), coerceSettings({}));
  assert.equal(coerceSettings({ detector: { kind: 'window', alpha: 0.01 } }).detector.alpha, 0.01);
});

test("the summary names steps, flag, reason, and carries the server's own diagnostics", () => {
  const t = buildTrace({ steps: 10, dropAt: 100, end: null, tornTail: '{"ty' });
  const a = analyze(t.text);
  const s = traceSummary(a, URI, 'document', { relatedInformation: true });
  assert.equal(s.steps, 10);
  assert.equal(s.flaggedStep, null);
  assert.equal(s.reason, null);
  assert.deepEqual(s.diagnostics.map((d) => d.code).sort(), ['incomplete', 'torn']);
  assert.deepEqual(s.diagnostics, traceDiagnostics(a, { relatedInformation: true }));
  const ca = analyze(buildTrace({ steps: 30, dropAt: 5, end: 'oom', stopAtFlag: false }).text);
  const c = traceSummary(ca, URI, 'disk', { relatedInformation: false });
  assert.equal(c.reason, 'oom');
  assert.equal(c.flaggedStep, 10);
  assert.deepEqual(
    c.diagnostics,
    traceDiagnostics(ca, { relatedInformation: false }),
    'the same diagnostics as an open document gets',
  );
  const oom = c.diagnostics.find((d) => d.code === 'oom');
  assert.ok(oom && messageOf(oom).startsWith('episode ended: oom') && oom.severity === DiagnosticSeverity.Error);
  const flag = c.diagnostics.find((d) => d.code === 'flagged');
  assert.equal(
    flag?.range.start.line,
    buildTrace({ steps: 30, dropAt: 5, end: 'oom', stopAtFlag: false }).lineOfStep(10),
  );
});

test('steps past the longest calibration episode get one information diagnostic: beyond training', () => {
  const cal = {
    file: '/work/scen/coin.calibration.json',
    hash: 'h',
    alpha: 0.05,
    computedAt: '2025-01-01T00:00:00Z',
    longestEpisode: 25,
  };
  const t = buildTrace({ steps: 40, dropAt: 100, detector: { kind: 'cusum', k: 0.5 }, calibration: cal });
  const beyond = traceDiagnostics(analyze(t.text), opts).filter((d) => d.code === 'beyond-training');
  assert.equal(beyond.length, 1);
  assert.equal(beyond[0].severity, DiagnosticSeverity.Information);
  assert.equal(beyond[0].range.start.line, t.lineOfStep(25));
  assert.match(
    messageOf(beyond[0]),
    /^beyond training: steps 25\.\.39 run past the longest calibration episode \(25 steps\)/,
  );
  // within training, or a calibration without recorded lengths: nothing
  const within = buildTrace({ steps: 20, dropAt: 100, detector: { kind: 'cusum', k: 0.5 }, calibration: cal });
  assert.equal(traceDiagnostics(analyze(within.text), opts).filter((d) => d.code === 'beyond-training').length, 0);
  const older = buildTrace({
    steps: 40,
    dropAt: 100,
    detector: { kind: 'cusum', k: 0.5 },
    calibration: { ...cal, longestEpisode: undefined },
  });
  assert.equal(traceDiagnostics(analyze(older.text), opts).filter((d) => d.code === 'beyond-training').length, 0);
});
