// Commands as small factories over Ctx (rust-analyzer style). Every handler that would run,
// calibrate or load workspace code checks trust itself, first. Handlers return what they did, so
// tests (and other extensions) can await the outcome.
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { TRACE_EXTENSION, type TraceHeader } from '../core/traceFormat';
import type { Ctx } from './ctx';
import { calibrateArgs, runArgs, type RunTarget } from './engineArgs';
import {
  EXAMPLE_FOLDER,
  EXAMPLE_NAME,
  exampleFiles,
  exampleFolderProblem,
  scenarioFileName,
  uniqueName,
} from './exampleScenario';
import { ReplayPanel } from './replayPanel';
import { MAX_OVERLAYS } from '../shared/webviewProtocol';
import type { RunOutcome } from './runController';
import type { RunInfo } from './runsModel';
import { builtinScenarios, pickAgent, pickScenario, readScenarioSummary, workspaceScenarios } from './scenarios';
import { checkInterpreter, resolveInterpreter, scenarioNeeds } from './python';
import { requireTrust } from './trust';

export type Refusal = { refused: 'untrusted' | 'no-folder' | 'busy' | 'invalid' | 'python'; message: string };
export type Cmd = (...args: unknown[]) => unknown;

/** Non-interactive form of Run Scenario / Calibrate Threshold (tests, other extensions, tasks). */
export interface RunArgs {
  /** a built-in's name or a scenario file path */
  scenario: string;
  agent?: string;
  episodes?: number;
  /** open replay panels as the run goes (default true; the Testing view passes false) */
  showReplay?: boolean;
}

export function refuse(refused: Refusal['refused'], message: string, show = true): Refusal {
  if (show) void vscode.window.showErrorMessage(`Objective Monitor: ${message}`);
  return { refused, message };
}

function isRunArgs(x: unknown): x is RunArgs {
  return typeof x === 'object' && x !== null && typeof (x as RunArgs).scenario === 'string';
}

/** Checks that must pass before anything is spawned. */
export function preflight(ctx: Ctx, action: string): Refusal | { outDir: string; cwd: string } {
  if (!requireTrust(action)) return { refused: 'untrusted', message: `${action} needs a trusted workspace` };
  const outDir = ctx.outDir;
  const cwd = ctx.workspaceRoot;
  if (!outDir || !cwd)
    return refuse(
      'no-folder',
      `${action} needs a folder open: traces are written to ${'<folder>'}/.objective-monitor.`,
    );
  if (ctx.runController.running)
    return refuse('busy', 'A run is already in progress. Stop it first with "Objective Monitor: Stop Run".');
  return { outDir, cwd };
}

/** A scenario given by name or path, checked before spawning so a bad file gives a clear error at once. */
function resolveTarget(ctx: Ctx, a: RunArgs): (RunTarget & { file: string; calibrationEpisodes?: number }) | Refusal {
  const builtin = builtinScenarios(ctx.extension.extensionPath).find((b) => b.name === a.scenario);
  const file = builtin ? builtin.file : path.resolve(ctx.workspaceRoot ?? '', a.scenario);
  if (!builtin && !fs.existsSync(file))
    return refuse('invalid', `${a.scenario}: no such scenario file or built-in scenario`);
  let summary;
  try {
    summary = readScenarioSummary(file);
    if (a.agent && summary.agents.length && !summary.agents.includes(a.agent) && !/[./\\]/.test(a.agent)) {
      return refuse(
        'invalid',
        `${file}: scenario "${summary.name}" has no agent "${a.agent}" (agents: ${summary.agents.join(', ')})`,
      );
    }
  } catch (e) {
    return refuse('invalid', (e as Error).message);
  }
  return {
    scenario: builtin ? builtin.name : file,
    agent: a.agent ?? '',
    file,
    calibrationEpisodes: summary.calibrationEpisodes,
  };
}

/** The interpreter for a scenario that needs Python, checked once before the run (python.ts);
 *  `{}` when the scenario has no Python module. The Python extension is asked only here. */
export async function pythonFor(ctx: Ctx, scenarioFile: string, agent: string): Promise<{ python?: string } | Refusal> {
  const need = scenarioNeeds(scenarioFile, agent);
  if (!need.python) return {};
  const interp = await resolveInterpreter(ctx.config.pythonInterpreter, vscode.Uri.file(scenarioFile), (m) =>
    ctx.output.warn(m),
  );
  const check = await checkInterpreter(interp, need);
  if (!check.ok) {
    ctx.output.error(check.message);
    return refuse('python', check.message);
  }
  ctx.output.info(`Python ${check.version}: ${check.executable} (${interp.source})`);
  return { python: interp.command };
}

async function interactiveTarget(ctx: Ctx, title: string, uri: vscode.Uri | undefined): Promise<RunArgs | undefined> {
  const scenario = await pickScenario(ctx.extension.extensionPath, title, uri);
  if (!scenario) return undefined;
  let agent: string | undefined;
  try {
    agent = await pickAgent(scenario, title);
  } catch (e) {
    void vscode.window.showErrorMessage(`Objective Monitor: ${(e as Error).message}`);
    return undefined;
  }
  if (agent === undefined) return undefined;
  return { scenario: scenario.arg, agent };
}

function labelOf(t: RunTarget): string {
  const name = path.isAbsolute(t.scenario) ? path.basename(t.scenario, '.scenario.json') : t.scenario;
  return `${name} / ${t.agent ? path.basename(t.agent) : 'default agent'}`;
}

/** What Run and Calibrate share: the trust and folder checks (inside the handler), the scenario and
 *  agent (given or picked), and the interpreter when the scenario needs Python. */
async function prepare(ctx: Ctx, title: string, arg: unknown) {
  const pre = preflight(ctx, title);
  if ('refused' in pre) return pre;
  const a = isRunArgs(arg) ? arg : await interactiveTarget(ctx, title, arg instanceof vscode.Uri ? arg : undefined);
  if (!a) return undefined;
  const target = resolveTarget(ctx, a);
  if ('refused' in target) return target;
  const py = await pythonFor(ctx, target.file, target.agent);
  if ('refused' in py) return py;
  return { pre, a, target, python: py.python };
}

export function runScenario(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<RunOutcome | Refusal | undefined> => {
    const p = await prepare(ctx, 'Run Scenario', arg);
    if (!p || 'refused' in p) return p;
    const args = runArgs(ctx.config, p.target, p.pre.outDir, { episodes: p.a.episodes, python: p.python });
    return ctx.runController.start({
      kind: 'run',
      label: labelOf(p.target),
      args,
      cli: ctx.cliPath,
      cwd: p.pre.cwd,
      nodePath: ctx.nodePath,
      showReplay: p.a.showReplay ?? true,
      scenarioFile: p.target.file,
      calibrationEpisodes: p.target.calibrationEpisodes,
    });
  };
}

export function calibrateThreshold(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<RunOutcome | Refusal | undefined> => {
    const p = await prepare(ctx, 'Calibrate Threshold', arg);
    if (!p || 'refused' in p) return p;
    const args = calibrateArgs(ctx.config, p.target, p.pre.outDir, p.python);
    return ctx.runController.start({
      kind: 'calibrate',
      label: labelOf(p.target),
      args,
      cli: ctx.cliPath,
      cwd: p.pre.cwd,
      nodePath: ctx.nodePath,
      showReplay: false,
      scenarioFile: p.target.file,
      calibrationEpisodes: p.target.calibrationEpisodes,
    });
  };
}

export function stopRun(ctx: Ctx): Cmd {
  return async (): Promise<boolean> => {
    const stopping = ctx.runController.stop();
    if (!stopping) void vscode.window.showInformationMessage('Objective Monitor: no run in progress.');
    return stopping;
  };
}

function toUri(x: unknown): vscode.Uri | undefined {
  if (x instanceof vscode.Uri) return x;
  // a Runs view node (its inline buttons pass the node): the episode's trace
  const ep = typeof x === 'object' && x !== null ? (x as { episode?: { file?: unknown } }).episode : undefined;
  if (typeof ep?.file === 'string') return vscode.Uri.file(ep.file);
  if (typeof x === 'string' && x.length > 0)
    return x.includes('://') || x.startsWith('file:') ? vscode.Uri.parse(x) : vscode.Uri.file(x);
  return undefined;
}

/** The trace to act on: the argument, else the focused replay panel's (when `fromReplay`), else
 *  the active trace editor, else a pick titled with the asking command's `title`. */
export async function traceUri(
  ctx: Ctx,
  arg: unknown,
  title: string,
  fromReplay = false,
): Promise<vscode.Uri | undefined> {
  const given = toUri(arg);
  if (given) return given;
  // A focused webview leaves activeTextEditor undefined: the panel itself names the episode.
  const replay = fromReplay ? ReplayPanel.active : undefined;
  if (replay) return vscode.Uri.file(replay.file);
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.fsPath.endsWith(TRACE_EXTENSION)) return active;
  await ctx.runsModel.loaded();
  const recent = ctx.runsModel.all.flatMap((r) => r.episodes).slice(0, 200);
  if (recent.length) {
    const picked = await vscode.window.showQuickPick(
      recent.map((e) => ({
        label: `${e.scenario} / ${e.agent} · seed ${e.seed}`,
        description: e.flaggedStep === null ? (e.reason ?? 'running') : `flagged at step ${e.flaggedStep}`,
        detail: vscode.workspace.asRelativePath(e.file),
        file: e.file,
      })),
      { title: `Objective Monitor: ${title}`, placeHolder: 'Episode (trace)', matchOnDetail: true },
    );
    return picked ? vscode.Uri.file(picked.file) : undefined;
  }
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { Trace: ['jsonl'] },
    openLabel: title,
    title: `Objective Monitor: ${title}`,
  });
  return files?.[0];
}

export function openTrace(ctx: Ctx): Cmd {
  // Replay is pure reading: allowed in Restricted Mode.
  return async (arg?: unknown, step?: unknown): Promise<ReplayPanel | undefined> => {
    const uri = await traceUri(ctx, arg, 'Open Trace in Replay');
    if (!uri) return undefined;
    if (uri.scheme !== 'file' || !fs.existsSync(uri.fsPath)) {
      void vscode.window.showErrorMessage(`Objective Monitor: ${uri.fsPath}: no such trace file`);
      return undefined;
    }
    const at = typeof step === 'number' && Number.isInteger(step) && step >= 0 ? step : undefined;
    return ReplayPanel.createOrShow(ctx.replayHost, uri.fsPath, at);
  };
}

/** The episodes to compare: a run (its Runs view node, or its id), or a list of trace files; without
 *  an argument, a pick among the recorded runs. */
async function episodesToCompare(ctx: Ctx, arg: unknown): Promise<string[] | undefined> {
  if (Array.isArray(arg))
    return arg
      .map(toUri)
      .filter((u): u is vscode.Uri => !!u)
      .map((u) => u.fsPath);
  await ctx.runsModel.loaded();
  let run: RunInfo | undefined;
  if (typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'run')
    run = ctx.runsModel.run((arg as { run: RunInfo }).run.runId);
  else if (typeof arg === 'string') run = ctx.runsModel.run(arg);
  else if (typeof arg === 'object' && arg !== null && typeof (arg as { runId?: unknown }).runId === 'string')
    run = ctx.runsModel.run((arg as { runId: string }).runId);
  else if (arg === undefined) {
    const runs = ctx.runsModel.all.filter((r) => r.episodes.length > 1);
    const picked = await vscode.window.showQuickPick(
      runs.map((r) => ({
        label: `${r.scenario} / ${r.agent} · ${r.distribution}`,
        description: `${r.episodes.length} episodes, ${r.episodes.filter((e) => e.flaggedStep !== null).length} flagged`,
        detail: r.runId,
        run: r,
      })),
      {
        title: 'Objective Monitor: Compare Episodes',
        placeHolder: runs.length ? 'Run whose episodes to overlay' : 'No run with two or more episodes yet',
      },
    );
    run = picked?.run;
    if (!picked) return undefined;
  }
  if (!run) {
    void vscode.window.showErrorMessage(
      'Objective Monitor: Compare Episodes: no such run (refresh the Runs view, or pick a run).',
    );
    return undefined;
  }
  return run.episodes.map((e) => e.file);
}

export function compareEpisodes(ctx: Ctx): Cmd {
  // Reading only: allowed in Restricted Mode.
  return async (arg?: unknown): Promise<ReplayPanel | undefined> => {
    const files = (await episodesToCompare(ctx, arg))?.filter((f) => fs.existsSync(f));
    if (!files) return undefined;
    if (files.length === 0) {
      void vscode.window.showErrorMessage('Objective Monitor: Compare Episodes: the run has no trace files left.');
      return undefined;
    }
    if (files.length > MAX_OVERLAYS + 1) {
      void vscode.window.showInformationMessage(
        `Objective Monitor: the replay overlays at most ${MAX_OVERLAYS} episodes; showing the first ${MAX_OVERLAYS + 1} of ${files.length}.`,
      );
    }
    const shown = files.slice(0, MAX_OVERLAYS + 1);
    const panel = ReplayPanel.createOrShow(ctx.replayHost, shown[0]);
    panel.setOverlays(shown.slice(1));
    return panel;
  };
}

/** The header of the trace a command names (as traceUri finds it, the replay panel's included): a
 *  refusal when the file cannot be read or holds no header, undefined when the user cancels. */
export async function traceHeaderOf(
  ctx: Ctx,
  arg: unknown,
  title: string,
  noHeaderWhy = '',
): Promise<{ uri: vscode.Uri; header: TraceHeader } | Refusal | undefined> {
  const uri = await traceUri(ctx, arg, title, true);
  if (!uri) return undefined;
  let t;
  try {
    t = await ctx.store.load(uri.fsPath);
  } catch (e) {
    return refuse('invalid', `${uri.fsPath}: ${(e as Error).message}`);
  }
  if (!t.header) return refuse('invalid', `${uri.fsPath}: not a trace (no header record)${noHeaderWhy}`);
  return { uri, header: t.header };
}

export function rerunEpisode(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<RunOutcome | Refusal | undefined> => {
    const pre = preflight(ctx, 'Re-run Episode');
    if ('refused' in pre) return pre;
    const trace = await traceHeaderOf(ctx, arg, 'Re-run Episode', ', so there is no episode to re-run');
    if (!trace || 'refused' in trace) return trace;
    const h = trace.header;
    const builtinDir = path.join(ctx.extension.extensionPath, 'dist', 'scenarios') + path.sep;
    const scenario = h.scenario.file.startsWith(builtinDir) ? h.scenario.name : h.scenario.file;
    let agents: string[];
    try {
      agents = readScenarioSummary(h.scenario.file).agents;
    } catch (e) {
      return refuse('invalid', (e as Error).message);
    }
    const target: RunTarget = { scenario, agent: agents.includes(h.agent.name) ? h.agent.name : h.agent.module };
    const py = await pythonFor(ctx, h.scenario.file, target.agent);
    if ('refused' in py) return py;
    const args = runArgs(ctx.config, target, pre.outDir, {
      seed: h.seed,
      distribution: h.distribution,
      python: py.python,
    });
    return ctx.runController.start({
      kind: 'run',
      label: `${labelOf(target)} · seed ${h.seed}`,
      args,
      cli: ctx.cliPath,
      cwd: pre.cwd,
      nodePath: ctx.nodePath,
      showReplay: true,
      replayNote: 're-run',
      scenarioFile: h.scenario.file,
    });
  };
}

/** Non-interactive form of Create Example Scenario (tests, other extensions). */
export interface ExampleArgs {
  /** relative to the workspace folder, or absolute inside it; else asked, with a free default shown */
  folder?: string;
}

/** Scenario names taken in the workspace and by the built-ins. */
async function takenScenarioNames(ctx: Ctx): Promise<Set<string>> {
  const names = new Set(builtinScenarios(ctx.extension.extensionPath).map((b) => b.name));
  for (const c of await workspaceScenarios()) {
    names.add(c.name);
    try {
      names.add(readScenarioSummary(c.file).name);
    } catch {
      /* unreadable: its file name stands for it */
    }
  }
  return names;
}

export function createExampleScenario(ctx: Ctx): Cmd {
  // Writes files only (nothing runs), so it is allowed in Restricted Mode too.
  return async (arg?: unknown): Promise<string | Refusal | undefined> => {
    const root = ctx.workspaceRoot;
    if (!root) return refuse('no-folder', 'Create Example Scenario needs a folder open.');
    const taken = await takenScenarioNames(ctx);
    const name = uniqueName(EXAMPLE_NAME, (n) => taken.has(n));
    const files = exampleFiles(name);
    const rels = Object.keys(files);
    const given =
      typeof arg === 'object' && arg !== null && typeof (arg as ExampleArgs).folder === 'string'
        ? (arg as ExampleArgs).folder!
        : undefined;
    let folder = given;
    if (folder === undefined) {
      const suggested = uniqueName(EXAMPLE_FOLDER, (f) => fs.existsSync(path.join(root, f)));
      folder = await vscode.window.showInputBox({
        title: 'Objective Monitor: Create Example Scenario',
        prompt: `Folder to write the example scenario "${name}" into, relative to ${path.basename(root)} (created if missing)`,
        value: suggested,
        valueSelection: [0, suggested.length],
        ignoreFocusOut: true,
        validateInput: (v) => exampleFolderProblem(root, v, rels, fs.existsSync),
      });
      if (folder === undefined) return undefined;
    }
    const problem = exampleFolderProblem(root, folder, rels, fs.existsSync);
    if (problem) return refuse('invalid', `Create Example Scenario: ${problem}`);
    const dir = path.resolve(root, folder.trim());
    const edit = new vscode.WorkspaceEdit();
    for (const [rel, content] of Object.entries(files)) {
      edit.createFile(vscode.Uri.file(path.join(dir, rel)), {
        contents: Buffer.from(content, 'utf8'),
        ignoreIfExists: false,
      });
    }
    if (!(await vscode.workspace.applyEdit(edit))) return refuse('invalid', `could not write the example into ${dir}`);
    await Promise.all(
      vscode.workspace.textDocuments
        .filter((d) => d.uri.fsPath.startsWith(dir + path.sep) && d.isDirty)
        .map((d) => d.save()),
    );
    const scenario = path.join(dir, scenarioFileName(name));
    await vscode.window.showTextDocument(vscode.Uri.file(scenario), { preview: false });
    void vscode.window
      .showInformationMessage(
        `Objective Monitor: example scenario "${name}" written to ${path.relative(root, dir) || '.'}. Run it with "Run Scenario".`,
        'Run Scenario',
      )
      .then((c) => {
        if (c) void vscode.commands.executeCommand('objectiveMonitor.runScenario', vscode.Uri.file(scenario));
      });
    return dir;
  };
}

export function showOutput(ctx: Ctx): Cmd {
  return () => ctx.output.show(true);
}

export function refreshRuns(ctx: Ctx): Cmd {
  return () => ctx.runsModel.refresh();
}
