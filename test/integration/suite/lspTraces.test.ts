// The trace language server seen through the VS Code API, on traces the engine really wrote:
// the suite runs the CLI (racing / misaligned, 2 deployment episodes) into the workspace, opens a
// flagged trace and asks VS Code for what a user sees: Problems, hover, code lenses, outline,
// inlay hints, go to definition, and the re-flag when the detector setting changes.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { TraceEnd, TraceHeader, TraceStep } from '../../../src/core/traceFormat';
import { activateExtension, setSetting, waitFor, workspaceRoot, runCli } from '../helpers';
import { replayTabsOf } from '../replayTabs';
import { log } from '../log';

const SOURCE = 'objective-monitor';

interface CliEpisode {
  seed: number;
  steps: number;
  flaggedStep: number | null;
  reason: string;
  trace: string;
}
interface CliResult {
  episodes: CliEpisode[];
  calibration: { file: string; alpha: number } | null;
}

interface RealTrace {
  file: string;
  uri: vscode.Uri;
  header: TraceHeader;
  steps: TraceStep[];
  end: TraceEnd;
  /** 0-based line of each step (index = step number) */
  stepLine: number[];
  endLine: number;
  flagged: number;
}

function loadTrace(file: string): RealTrace {
  const lines = fs
    .readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string });
  const header = lines[0] as TraceHeader;
  const steps: TraceStep[] = [];
  const stepLine: number[] = [];
  let end: TraceEnd | undefined;
  let endLine = -1;
  lines.forEach((r, i) => {
    if (r.type === 'step') {
      steps.push(r as TraceStep);
      stepLine.push(i);
    }
    if (r.type === 'episode_end') {
      end = r as TraceEnd;
      endLine = i;
    }
  });
  assert.ok(end, `${file} has an episode_end`);
  const flagged = steps.findIndex((s) => s.flag);
  assert.ok(flagged >= 0, `${file} has a flagged step`);
  return { file, uri: vscode.Uri.file(file), header, steps, end, stepLine, endLine, flagged };
}

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));
const show = (ds: readonly vscode.Diagnostic[]) =>
  JSON.stringify(ds.map((d) => [d.range.start.line, codeOf(d), d.message]));

/** Numbers as the server prints them (at most 3 decimals): equal within rounding. */
function near(shown: string, actual: number, what: string): void {
  const v = Number(shown);
  assert.ok(
    Number.isFinite(v) && Math.abs(v - actual) <= 5e-4 + Math.abs(actual) * 1e-3,
    `${what}: shown ${shown}, trace holds ${actual}`,
  );
}

async function diagnosticWhere(
  uri: vscode.Uri,
  what: string,
  pred: (d: vscode.Diagnostic) => boolean,
  timeoutMs = 30_000,
): Promise<vscode.Diagnostic> {
  return waitFor(what, () => ours(uri).find(pred), timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message}; diagnostics now: ${show(ours(uri))}`);
  });
}

async function openTrace(file: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  assert.equal(doc.languageId, 'objective-trace');
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

describe('trace language server on real engine traces', function () {
  let t: RealTrace;
  let calibrationFile: string;
  let doc: vscode.TextDocument;

  before(async function () {
    await activateExtension();
    const out = path.join(workspaceRoot(), '.objective-monitor');
    const t0 = Date.now();
    const r = await runCli(
      ['run', 'racing', '--agent', 'misaligned', '--episodes', '2', '--out', out, '--json'],
      90_000,
    );
    const result = JSON.parse(r.stdout) as CliResult;
    log(`cli racing/misaligned, 2 episodes: exit ${r.code} in ${Date.now() - t0} ms`);
    const ep = result.episodes.find((e) => e.flaggedStep !== null);
    assert.ok(ep, `a flagged episode among ${JSON.stringify(result.episodes)}`);
    assert.ok(result.calibration, 'the run used a calibration');
    calibrationFile = result.calibration.file;
    t = loadTrace(ep.trace);
    assert.equal(t.flagged, ep.flaggedStep);
    doc = await openTrace(t.file);
  });

  after(async () => {
    await setSetting('detector.kind', undefined);
    await setSetting('detector.fixedThreshold', undefined);
    await setSetting('traces.inlayHints', undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('reports the flagged step in Problems, with its numbers and the calibration file', async () => {
    const line = t.stepLine[t.flagged];
    const d = await diagnosticWhere(doc.uri, `the flag diagnostic on line ${line}`, (x) => codeOf(x) === 'flagged');
    assert.equal(d.range.start.line, line, `flag on the flagged step's line: ${show(ours(doc.uri))}`);
    assert.equal(d.source, SOURCE);
    const m =
      /^running objective (\S+) fell below the threshold (\S+) at step (\d+) \(detector (.+), alpha (\S+)\)$/.exec(
        d.message,
      );
    assert.ok(m, `message: ${d.message}`);
    const s = t.steps[t.flagged];
    near(m[1], s.score, 'running objective');
    near(m[2], s.threshold, 'threshold');
    assert.equal(Number(m[3]), t.flagged);
    assert.equal(m[4], `cusum k=${(t.header.detector as { k: number }).k}`);
    assert.equal(Number(m[5]), t.header.calibration!.alpha);
    // The engine stopped the episode there (protocol stop): an error, not a warning.
    assert.equal(t.end.reason, 'flagged_stop');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    const rel = d.relatedInformation ?? [];
    assert.equal(rel.length, 1, 'one related location');
    assert.equal(rel[0].location.uri.fsPath, calibrationFile);
    assert.match(rel[0].message, /^calibration: alpha /);
    // A clean engine trace has nothing else to report.
    assert.deepEqual(
      ours(doc.uri)
        .filter((x) => x !== d)
        .map(codeOf),
      [],
    );
  });

  it('reports a torn last line and the missing episode_end of a truncated trace, keeping the flag', async () => {
    const text = fs.readFileSync(t.file, 'utf8');
    const lines = text.split('\n');
    const endText = lines[t.endLine];
    // Cut inside the episode_end record: what a killed writer leaves behind.
    const cut = lines.slice(0, t.endLine).join('\n') + '\n' + endText.slice(0, Math.floor(endText.length / 2));
    const file = path.join(path.dirname(t.file), 'truncated.trace.jsonl');
    fs.writeFileSync(file, cut);
    const d = await openTrace(file);
    const torn = await diagnosticWhere(d.uri, 'torn-line diagnostic', (x) => codeOf(x) === 'torn');
    assert.equal(torn.range.start.line, t.endLine);
    assert.match(torn.message, /^torn last line: the last line is unterminated/);
    const incomplete = ours(d.uri).find((x) => codeOf(x) === 'incomplete');
    assert.ok(incomplete, `incomplete diagnostic: ${show(ours(d.uri))}`);
    assert.match(incomplete.message, /^incomplete: no episode_end record/);
    const flag = ours(d.uri).find((x) => codeOf(x) === 'flagged');
    assert.equal(flag?.range.start.line, t.stepLine[t.flagged], `flag kept: ${show(ours(d.uri))}`);
    // Not stopped as far as the file shows: a warning.
    assert.equal(flag?.severity, vscode.DiagnosticSeverity.Warning);
    assert.ok(ours(d.uri).every((x) => x.source === SOURCE));
    await vscode.window.showTextDocument(doc);
  });

  it('hover on a step line shows the increment, running objective, threshold and margin', async () => {
    for (const i of [0, Math.floor(t.flagged / 2), t.flagged]) {
      const s = t.steps[i];
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        doc.uri,
        new vscode.Position(t.stepLine[i], 5),
      );
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(text, new RegExp(`\\*\\*Step ${i}\\*\\*${i === t.flagged ? ' — flagged' : ''}`), text);
      const num = (label: string) => {
        const m = new RegExp(`^- ${label}: (\\S+)`, 'm').exec(text);
        assert.ok(m, `${label} in hover: ${text}`);
        return m[1];
      };
      near(num('increment'), s.increment, `increment at step ${i}`);
      near(num('running objective'), s.score, `running objective at step ${i}`);
      near(num('threshold'), s.threshold, `threshold at step ${i}`);
      near(num('margin \\(score − threshold\\)'), s.score - s.threshold, `margin at step ${i}`);
    }
  });

  it('code lenses open the replay at the flagged step and re-run the episode', async () => {
    const lenses = await waitFor('code lenses', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
      return l.length >= 6 ? l : undefined;
    });
    const at = (line: number) =>
      lenses
        .filter((l) => l.range.start.line === line)
        .map((l) => l.command?.title)
        .sort();
    const expected = [`Open in replay at step ${t.flagged}`, 'Re-run this episode'];
    assert.deepEqual(at(0), expected, 'header lenses');
    assert.deepEqual(
      at(t.stepLine[t.flagged]),
      ['Find the point of no return', 'Fork from here', ...expected],
      'flagged step lenses',
    );
    const fork = lenses.find((l) => l.command?.title === 'Fork from here')!.command!;
    assert.equal(fork.command, 'objectiveMonitor.forkFromStep');
    assert.deepEqual(fork.arguments?.slice(1), [t.flagged]);
    assert.ok(
      (await vscode.commands.getCommands(true)).includes(fork.command),
      'the extension registers the fork command',
    );
    // any step line: Fork from here as a code action at the cursor
    const line = t.stepLine[1];
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      doc.uri,
      new vscode.Range(line, 2, line, 2),
    );
    const forkAction = actions.find((x) => x.title === 'Fork from step 1 with another agent');
    assert.ok(forkAction, `code actions: ${actions.map((x) => x.title).join(', ')}`);
    assert.equal(forkAction.command?.command, 'objectiveMonitor.forkFromStep');
    const open = lenses.find(
      (l) => l.range.start.line === t.stepLine[t.flagged] && l.command?.title.startsWith('Open'),
    )!.command!;
    assert.equal(open.command, 'objectiveMonitor.openTrace');
    const rerun = lenses.find((l) => l.command?.title === 'Re-run this episode')!.command!;
    assert.equal(rerun.command, 'objectiveMonitor.rerunEpisode');
    await vscode.commands.executeCommand(open.command, ...(open.arguments ?? []));
    const tab = await waitFor('the replay tab for the trace', () => replayTabsOf(t.file)[0]);
    await vscode.window.tabGroups.close(tab);
    await vscode.window.showTextDocument(doc);
  });

  it('the outline holds the episode, its flagged step and its end', async () => {
    const symbols = await waitFor('document symbols', async () => {
      const s = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>(
        'vscode.executeDocumentSymbolProvider',
        doc.uri,
      );
      return s?.length ? s : undefined;
    });
    assert.equal(symbols.length, 1);
    const ep = symbols[0];
    assert.equal(ep.name, `episode ${t.header.episodeId}`);
    assert.equal(ep.range.start.line, 0);
    assert.deepEqual(
      ep.children.map((c) => [c.name, c.range.start.line]),
      [
        [`flag at step ${t.flagged}`, t.stepLine[t.flagged]],
        [`end: ${t.end.reason}`, t.endLine],
      ],
    );
  });

  it('inlay hints show the running objective right after the step number, and none when turned off', async () => {
    const range = new vscode.Range(0, 0, doc.lineCount, 0);
    const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>(
      'vscode.executeInlayHintProvider',
      doc.uri,
      range,
    );
    assert.equal(hints.length, t.steps.length, 'one hint per step line');
    for (const h of hints) {
      const i = t.stepLine.indexOf(h.position.line);
      assert.ok(i >= 0, `hint on a step line (line ${h.position.line})`);
      const before = doc.lineAt(h.position.line).text.slice(0, h.position.character);
      assert.ok(
        before.endsWith(`"step":${t.steps[i].step}`) && before.length < 40,
        `right after the step number, where the eye is (column ${h.position.character})`,
      );
      const label = typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
      const m = /^S=(\S+)( ⚑)?$/.exec(label);
      assert.ok(m, `label ${label}`);
      near(m[1], t.steps[i].score, `hint at step ${i}`);
      assert.equal(!!m[2], i === t.flagged, `flag mark at step ${i}`);
    }
    await setSetting('traces.inlayHints', false);
    await waitFor('no inlay hints after turning them off', async () => {
      const h = await vscode.commands.executeCommand<vscode.InlayHint[]>(
        'vscode.executeInlayHintProvider',
        doc.uri,
        range,
      );
      return h.length === 0;
    });
    await setSetting('traces.inlayHints', undefined);
    await waitFor(
      'inlay hints back',
      async () =>
        (await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, range))
          .length === t.steps.length,
    );
  });

  it('go to definition on a module path in the header opens the module source', async () => {
    const header = doc.lineAt(0).text;
    for (const module of [t.header.agent.module, t.header.environment.module]) {
      const col = header.indexOf(JSON.stringify(module));
      assert.ok(col > 0, `${module} in the header`);
      const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
        'vscode.executeDefinitionProvider',
        doc.uri,
        new vscode.Position(0, col + 3),
      );
      assert.equal(defs.length, 1, `one definition for ${module}`);
      const target = 'targetUri' in defs[0] ? defs[0].targetUri : defs[0].uri;
      assert.equal(target.fsPath, module);
      assert.ok(fs.existsSync(target.fsPath));
    }
    // Not a path: nothing.
    const col = header.indexOf('"episodeId"');
    const none = await vscode.commands.executeCommand<unknown[]>(
      'vscode.executeDefinitionProvider',
      doc.uri,
      new vscode.Position(0, col + 2),
    );
    assert.equal(none.length, 0);
  });

  it('a fixed threshold in the settings re-flags the open trace without rerunning it', async () => {
    // A level between two running-objective values before the recorded flag, so the fixed
    // detector flags an earlier step: the first whose score is below it.
    const before = t.steps.slice(0, t.flagged).map((s) => s.score);
    const lowest = Math.min(...before);
    const above = Math.min(...before.filter((v) => v > lowest));
    const level = (lowest + above) / 2;
    const expected = t.steps.findIndex((s) => s.score < level);
    assert.ok(expected >= 0 && expected < t.flagged, `a re-flag step before ${t.flagged}`);
    const mtime = fs.statSync(t.file).mtimeMs;
    await setSetting('detector.fixedThreshold', level);
    await setSetting('detector.kind', 'fixed');
    const d = await diagnosticWhere(
      doc.uri,
      `the flag on step ${expected}`,
      (x) => codeOf(x) === 'flagged' && x.range.start.line === t.stepLine[expected],
    );
    assert.match(
      d.message,
      new RegExp(
        `at step ${expected} \\(detector fixed ${level}\\); re-flagged with the current settings \\(recorded: step ${t.flagged}\\)$`,
      ),
    );
    assert.equal(ours(doc.uri).filter((x) => codeOf(x) === 'flagged').length, 1, 'one flag');
    assert.equal(fs.statSync(t.file).mtimeMs, mtime, 'the trace file was not rewritten');
    await setSetting('detector.kind', undefined);
    await diagnosticWhere(
      doc.uri,
      'the recorded flag back',
      (x) => codeOf(x) === 'flagged' && x.range.start.line === t.stepLine[t.flagged],
    );
  });
});
