// Scenarios in VS Code's Testing view (vscode.tests): each scenario is a test item, its agents are
// children, and a run's deployment episodes become the agent's children as results. A flagged
// episode is a failed test whose message is the flag's sentence, located at the flagged step's line
// in its trace; "Open Replay at Step" is an action on that message. An episode the guard stopped
// before a predicted crossing fails too, with the prediction's sentence at its trace's end record. Runs go through the same
// commands (and so the same trust checks, engine child and Runs view) as Run Scenario and
// Calibrate Threshold; only one run at a time, so agents run one after another.
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { flagReport, predictedStopReport } from '../core/flagReport';
import type { GuardPrediction } from '../core/guardTypes';
import { lineCol, parseJsonAst, type JsonNode } from '../core/jsonAst';
import { FAILURE_END_REASONS } from '../core/traceFormat';
import type { EngineEvent } from '../shared/engineEvents';
import type { Refusal, RunArgs } from './commands';
import type { Ctx } from './ctx';
import { engineMessage, type RunOutcome } from './runController';
import { builtinScenarios, workspaceScenarios, type ScenarioChoice } from './scenarios';
import { describeFailure, errorLocation } from './userErrors';

export const TEST_CONTROLLER_ID = 'objectiveMonitor';
/** TestMessage.contextValue of a flag: package.json's testing/message/context menu matches it */
export const FLAG_MESSAGE_CONTEXT = 'objectiveMonitor.flaggedStep';

type ItemData =
  | { kind: 'scenario'; scenario: ScenarioChoice }
  | { kind: 'agent'; scenario: ScenarioChoice; agent: string }
  | { kind: 'episode'; trace: string; seed: number; flaggedStep: number | null };

type ResultState = 'passed' | 'failed' | 'errored' | 'skipped';

export class ScenarioTests implements vscode.Disposable {
  private readonly controller: vscode.TestController;
  private readonly data = new WeakMap<vscode.TestItem, ItemData>();
  private readonly subs: vscode.Disposable[] = [];
  private refreshing: Promise<void> | undefined;

  constructor(private readonly ctx: Ctx) {
    const c = vscode.tests.createTestController(TEST_CONTROLLER_ID, 'Objective Monitor');
    this.controller = c;
    c.resolveHandler = async (item) => {
      if (!item) await this.refresh();
    };
    c.refreshHandler = () => this.refresh();
    c.createRunProfile('Run', vscode.TestRunProfileKind.Run, (req, token) => this.run(req, token, 'run'), true);
    c.createRunProfile(
      'Calibrate',
      vscode.TestRunProfileKind.Run,
      (req, token) => this.run(req, token, 'calibrate'),
      false,
    );
    const w = vscode.workspace.createFileSystemWatcher('**/*.scenario.json');
    let timer: NodeJS.Timeout | undefined;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void this.refresh(), 300);
    };
    this.subs.push(c, w, w.onDidCreate(soon), w.onDidChange(soon), w.onDidDelete(soon), {
      dispose: () => clearTimeout(timer),
    });
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
  }

  /** Finds scenarios again; items of scenarios still present keep their episodes. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const c = this.controller;
    const choices = [...(await workspaceScenarios()), ...builtinScenarios(this.ctx.extension.extensionPath)];
    const items: vscode.TestItem[] = [];
    for (const s of choices) {
      const id = `scenario:${s.arg}`;
      const item = c.items.get(id) ?? c.createTestItem(id, s.name, vscode.Uri.file(s.file));
      this.data.set(item, { kind: 'scenario', scenario: s });
      item.description = s.builtin ? 'built-in' : vscode.workspace.asRelativePath(s.file);
      item.error = undefined;
      try {
        this.fillAgents(item, s, fs.readFileSync(s.file, 'utf8'));
      } catch (e) {
        item.error = `${s.file}: ${(e as Error).message}`;
        item.children.replace([]);
      }
      items.push(item);
    }
    c.items.replace(items);
  }

  private fillAgents(item: vscode.TestItem, s: ScenarioChoice, text: string): void {
    const root = parseJsonAst(text);
    if (root.type !== 'object')
      throw new Error('expected a JSON object (a scenario with "name", "environment", "agent"...)');
    const lines = text.split('\n');
    // Whole lines: "Run Test at Cursor" picks the item whose range holds the cursor.
    const range = (offset: number) => {
      const { line } = lineCol(text, offset);
      return new vscode.Range(line - 1, 0, line - 1, lines[line - 1]?.length ?? 0);
    };
    const prop = (node: JsonNode, key: string) =>
      node.type === 'object' ? node.props.find((p) => p.key === key) : undefined;
    const name = prop(root, 'name');
    if (name?.value.type === 'string') item.label = name.value.value;
    // The scenario spans its file, so a cursor anywhere in it (outside an agent's line) runs every agent.
    item.range = new vscode.Range(0, 0, lines.length - 1, lines[lines.length - 1].length);
    const agentsProp = prop(root, 'agents');
    const agents: { name: string; offset: number; label: string }[] =
      agentsProp?.value.type === 'object'
        ? agentsProp.value.props.map((p) => ({ name: p.key, offset: p.keyOffset, label: p.key }))
        : [{ name: '', offset: prop(root, 'agent')?.keyOffset ?? root.offset, label: 'default agent' }];
    const children: vscode.TestItem[] = [];
    for (const a of agents) {
      const id = `agent:${s.arg}#${a.name}`;
      const child = item.children.get(id) ?? this.controller.createTestItem(id, a.label, vscode.Uri.file(s.file));
      child.range = range(a.offset);
      this.data.set(child, { kind: 'agent', scenario: s, agent: a.name });
      children.push(child);
    }
    item.children.replace(children);
  }

  /** The agents a request covers, in tree order, without the excluded ones. */
  private agentsOf(req: vscode.TestRunRequest): vscode.TestItem[] {
    const excluded = new Set((req.exclude ?? []).map((i) => i.id));
    const roots: vscode.TestItem[] = [];
    if (req.include) roots.push(...req.include);
    else this.controller.items.forEach((i) => roots.push(i));
    const out: vscode.TestItem[] = [];
    const add = (i: vscode.TestItem) => {
      if (excluded.has(i.id) || out.includes(i)) return;
      const d = this.data.get(i);
      if (d?.kind === 'agent') out.push(i);
      else if (d?.kind === 'scenario') i.children.forEach(add);
      else if (d?.kind === 'episode' && i.parent) add(i.parent);
    };
    roots.forEach(add);
    return out;
  }

  private async run(
    req: vscode.TestRunRequest,
    token: vscode.CancellationToken,
    kind: 'run' | 'calibrate',
  ): Promise<void> {
    if (this.refreshing) await this.refreshing;
    else if (this.controller.items.size === 0) await this.refresh();
    const agents = this.agentsOf(req);
    const run = this.controller.createTestRun(
      req,
      kind === 'run' ? 'Objective Monitor' : 'Objective Monitor: Calibrate',
      true,
    );
    const cancel = token.onCancellationRequested(() => {
      this.ctx.runController.stop();
    });
    try {
      for (const a of agents) run.enqueued(a);
      for (const a of agents) {
        if (token.isCancellationRequested) {
          this.report(run, a, 'skipped');
          continue;
        }
        await (kind === 'run' ? this.runAgent(run, a, token) : this.calibrateAgent(run, a));
      }
    } finally {
      cancel.dispose();
      run.end();
    }
  }

  private report(
    run: vscode.TestRun,
    item: vscode.TestItem,
    state: ResultState,
    messages: vscode.TestMessage[] = [],
    durationMs?: number,
  ): void {
    switch (state) {
      case 'passed':
        run.passed(item, durationMs);
        break;
      case 'failed':
        run.failed(item, messages, durationMs);
        break;
      case 'errored':
        run.errored(item, messages, durationMs);
        break;
      case 'skipped':
        run.skipped(item);
        break;
    }
  }

  private target(a: vscode.TestItem): RunArgs {
    const d = this.data.get(a) as Extract<ItemData, { kind: 'agent' }>;
    return { scenario: d.scenario.arg, agent: d.agent || undefined };
  }

  private async runAgent(run: vscode.TestRun, a: vscode.TestItem, token: vscode.CancellationToken): Promise<void> {
    run.started(a);
    const started = Date.now();
    let deploymentRun: string | null = null;
    const episodes = new Map<string, vscode.TestItem>();
    const newEpisodes: vscode.TestItem[] = [];
    const ended = new Set<vscode.TestItem>();
    let flagged = 0;
    let predicted = 0;
    let broken = 0;
    const sub = this.ctx.runController.onDidEngineEvent((e: EngineEvent) => {
      switch (e.type) {
        case 'run_start':
          // Calibration episodes run first under their own run; only deployment episodes are results.
          if (e.distribution === 'deployment') {
            deploymentRun = e.runId;
            a.children.replace([]);
          }
          break;
        case 'episode_start': {
          if (e.runId !== deploymentRun) break;
          const ep = this.controller.createTestItem(
            `${a.id}#seed-${e.seed}`,
            `seed ${e.seed}`,
            vscode.Uri.file(e.trace),
          );
          this.data.set(ep, { kind: 'episode', trace: e.trace, seed: e.seed, flaggedStep: null });
          episodes.set(e.episodeId, ep);
          newEpisodes.push(ep);
          a.children.add(ep);
          run.started(ep);
          break;
        }
        case 'log':
          if (e.episodeId && episodes.has(e.episodeId))
            run.appendOutput(e.text.replace(/\r?\n/g, '\r\n'), undefined, episodes.get(e.episodeId));
          break;
        case 'episode_end': {
          const ep = episodes.get(e.episodeId);
          if (!ep || e.runId !== deploymentRun) break;
          ended.add(ep);
          ep.description = `${e.steps} steps · final ${e.finalScore.toPrecision(4)}`;
          if (FAILURE_END_REASONS.has(e.reason)) {
            broken++;
            const m = new vscode.TestMessage(
              describeFailure({ seed: e.seed, reason: e.reason, error: e.error, trace: e.trace }),
            );
            m.location =
              errorLocation(e.error) ?? new vscode.Location(vscode.Uri.file(e.trace), new vscode.Position(0, 0));
            this.report(run, ep, 'errored', [m]);
          } else if (e.flaggedStep !== null) {
            flagged++;
            this.data.set(ep, { kind: 'episode', trace: e.trace, seed: e.seed, flaggedStep: e.flaggedStep });
            this.report(run, ep, 'failed', [flagMessage(e.trace, e.flaggedStep)]);
          } else if (e.reason === 'predicted_stop') {
            predicted++;
            this.report(run, ep, 'failed', [predictedStopMessage(e.trace, e.prediction, e.steps)]);
          } else {
            this.report(run, ep, 'passed');
          }
          break;
        }
      }
    });
    let outcome: RunOutcome | Refusal | undefined;
    try {
      outcome = await vscode.commands.executeCommand<RunOutcome | Refusal | undefined>('objectiveMonitor.runScenario', {
        ...this.target(a),
        showReplay: false,
      });
    } finally {
      sub.dispose();
    }
    const ms = Date.now() - started;
    // Episodes the engine never ended (stopped, engine died) are left without a result: skipped.
    for (const ep of newEpisodes) if (!ended.has(ep)) this.report(run, ep, 'skipped');
    if (!outcome) return this.report(run, a, 'skipped');
    if ('refused' in outcome) return this.report(run, a, 'errored', [new vscode.TestMessage(outcome.message)]);
    if (outcome.exit.stopped || token.isCancellationRequested) return this.report(run, a, 'skipped');
    if (outcome.problem) return this.report(run, a, 'errored', [new vscode.TestMessage(outcome.problem)]);
    if (outcome.exit.code !== 0 && outcome.exit.code !== 1 && broken === 0) {
      return this.report(run, a, 'errored', [new vscode.TestMessage(engineMessage(outcome.exit))], ms);
    }
    const summary =
      `${flagged + predicted} of ${outcome.episodes} deployment episodes flagged` +
      (predicted ? `, ${predicted} by the guard's prediction` : '') +
      (broken ? `, ${broken} could not run` : '');
    run.appendOutput(`${a.parent?.label ?? ''} / ${a.label}: ${summary}\r\n`);
    if (broken) this.report(run, a, 'errored', [new vscode.TestMessage(summary)], ms);
    else if (flagged + predicted) this.report(run, a, 'failed', [new vscode.TestMessage(summary)], ms);
    else this.report(run, a, 'passed', [], ms);
  }

  private async calibrateAgent(run: vscode.TestRun, a: vscode.TestItem): Promise<void> {
    run.started(a);
    const started = Date.now();
    const outcome = await vscode.commands.executeCommand<RunOutcome | Refusal | undefined>(
      'objectiveMonitor.calibrateThreshold',
      this.target(a),
    );
    if (!outcome) return this.report(run, a, 'skipped');
    if ('refused' in outcome) return this.report(run, a, 'errored', [new vscode.TestMessage(outcome.message)]);
    if (outcome.exit.stopped) return this.report(run, a, 'skipped');
    for (const n of outcome.notices) run.appendOutput(`${n}\r\n`, undefined, a);
    if (outcome.problem) return this.report(run, a, 'errored', [new vscode.TestMessage(outcome.problem)]);
    if (outcome.failures.length)
      return this.report(
        run,
        a,
        'errored',
        outcome.failures.map((f) => {
          const m = new vscode.TestMessage(describeFailure(f));
          m.location = errorLocation(f.error);
          return m;
        }),
      );
    if (outcome.exit.code !== 0)
      return this.report(run, a, 'errored', [new vscode.TestMessage(engineMessage(outcome.exit))]);
    this.report(run, a, 'passed', [], Date.now() - started);
  }

  /** The trace and step behind a flag message (the testing/message/context action's argument). */
  flagOf(arg: unknown): { trace: string; step: number } | undefined {
    const a = (arg ?? {}) as { test?: vscode.TestItem; message?: vscode.TestMessage };
    const d = a.test ? this.data.get(a.test) : undefined;
    if (d?.kind === 'episode' && d.flaggedStep !== null) return { trace: d.trace, step: d.flaggedStep };
    // The item may be gone (refreshed); the message's location still names the trace and line.
    const loc = a.message?.location;
    if (loc && loc.uri.scheme === 'file' && fs.existsSync(loc.uri.fsPath)) {
      const line = fs.readFileSync(loc.uri.fsPath, 'utf8').split('\n')[loc.range.start.line];
      try {
        const rec = JSON.parse(line ?? '') as { type?: string; step?: unknown };
        if (rec.type === 'step' && typeof rec.step === 'number') return { trace: loc.uri.fsPath, step: rec.step };
      } catch {
        /* not a step line */
      }
    }
    return undefined;
  }
}

/** A flag as a test message: the flag's sentence, at the flagged step's line of the trace. */
export function flagMessage(trace: string, step: number): vscode.TestMessage {
  let text = `flagged at step ${step}`;
  let line = 0;
  try {
    const r = flagReport(fs.readFileSync(trace), step);
    text = r.message;
    line = r.line;
  } catch (e) {
    text += ` (trace unreadable: ${(e as Error).message})`;
  }
  const m = new vscode.TestMessage(text);
  m.location = new vscode.Location(vscode.Uri.file(trace), new vscode.Range(line, 0, line, 0));
  m.contextValue = FLAG_MESSAGE_CONTEXT;
  return m;
}

/** A predicted stop as a test message: the prediction's sentence, at the trace's end record. */
function predictedStopMessage(
  trace: string,
  prediction: GuardPrediction | undefined,
  steps: number,
): vscode.TestMessage {
  let bytes = new Uint8Array(0);
  let unreadable = '';
  try {
    bytes = fs.readFileSync(trace);
  } catch (e) {
    unreadable = ` (trace unreadable: ${(e as Error).message})`;
  }
  const r = predictedStopReport(bytes, prediction, steps);
  const m = new vscode.TestMessage(r.message + unreadable);
  m.location = new vscode.Location(vscode.Uri.file(trace), new vscode.Range(r.line, 0, r.line, 0));
  return m;
}

/** objectiveMonitor.openReplayAtStep: the replay of a flagged episode, at its flagged step. */
export function openReplayAtStep(tests: ScenarioTests) {
  return async (arg?: unknown): Promise<unknown> => {
    const f = tests.flagOf(arg);
    if (!f) {
      void vscode.window.showErrorMessage(
        'Objective Monitor: Open Replay at Step: this message is not a flagged step (or its trace is gone).',
      );
      return undefined;
    }
    return vscode.commands.executeCommand('objectiveMonitor.openTrace', vscode.Uri.file(path.resolve(f.trace)), f.step);
  };
}
