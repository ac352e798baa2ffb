// One run (or calibration) at a time: spawns the engine child, shows progress with cancel, feeds
// the events to the Runs view, the status bar and open replay panels, and reports the outcome.
// What each event means is decided in runReducer.ts; this file carries out its effects.
import path from 'node:path';
import * as vscode from 'vscode';
import type { EngineEvent } from '../shared/engineEvents';
import type { CalibrationResult } from '../shared/webviewProtocol';
import { CalibrationPanel } from './calibrationPanel';
import { calibrationSummary, calibrationTable, readCalibrationResult, SAVED_NOTICE } from './calibrationResult';
import { EngineProcess, type EngineExit } from './engineProcess';
import { missingGymnasium } from './python';
import { ReplayPanel, type ReplayHost } from './replayPanel';
import type { RunsModel } from './runsModel';
import type { RunStatusBar } from './statusBar';
import { initialRunState, reduceRun, type RunEffect } from './runReducer';
import type { EpisodeFailure, UserErrorReporter } from './userErrors';

export interface RunSpec {
  kind: 'run' | 'calibrate';
  /** shown in progress, status bar and messages, e.g. "racing / misaligned" */
  label: string;
  args: string[];
  cli: string;
  cwd: string;
  nodePath: string;
  /** open a replay panel on the run's first episode and on the first flagged one */
  showReplay: boolean;
  /** said in the replay panels' titles, e.g. "re-run" */
  replayNote?: string;
  /** the scenario file run (the Runs view groups by it) */
  scenarioFile?: string;
  /** the scenario's number of calibration episodes (the calibration panel's total) */
  calibrationEpisodes?: number;
}

export interface RunOutcome {
  exit: EngineExit;
  runId: string | null;
  episodes: number;
  /** episodes flagged or stopped by the guard before a predicted crossing */
  flagged: number;
  /** of those, the ones the guard stopped (no flag) */
  predicted: number;
  failures: EpisodeFailure[];
  /** trace of the first flagged deployment episode, or of the first episode */
  shownTrace: string | null;
  /** warnings and notices from the engine ("calibrating first...") */
  notices: string[];
  /** the engine's command line (after the CLI path) */
  args: string[];
  /** one problem that made every failing episode fail, told once instead of per episode
   *  (today: gymnasium missing for the interpreter) */
  problem?: string;
  /** what a calibration made during this run found (Calibrate Threshold, or a run calibrating first) */
  calibration?: CalibrationResult;
}

export interface RunServices {
  model: RunsModel;
  statusBar: RunStatusBar;
  errors: UserErrorReporter;
  output: vscode.LogOutputChannel;
  replayHost: ReplayHost;
}

export class RunController implements vscode.Disposable {
  private current: { engine: EngineProcess; done: Promise<RunOutcome> } | undefined;
  /** every engine event of the run in progress, after the Runs view has seen it (the Testing view reports from it) */
  private readonly engineEvents = new vscode.EventEmitter<EngineEvent>();
  readonly onDidEngineEvent = this.engineEvents.event;

  constructor(private readonly s: RunServices) {}

  get running(): boolean {
    return this.current !== undefined;
  }

  stop(): boolean {
    if (!this.current) return false;
    this.current.engine.stop();
    return true;
  }

  async dispose(): Promise<void> {
    const c = this.current;
    if (!c) return;
    // Give the engine a moment to end open traces `killed_by_user`, then kill the group.
    c.engine.stop();
    await Promise.race([c.done, new Promise((r) => setTimeout(r, 2000))]);
    c.engine.kill();
    this.engineEvents.dispose();
  }

  /** Starts the engine; resolves when it exited and its outcome was reported. */
  start(spec: RunSpec): Promise<RunOutcome> {
    if (this.current) throw new Error('A run is already in progress; stop it first (Objective Monitor: Stop Run).');
    const { model, statusBar, output } = this.s;
    let state = initialRunState();
    let badLines = 0;
    /** the live calibration view, opened when calibration episodes start */
    let calPanel: CalibrationPanel | undefined;
    let calibration: CalibrationResult | undefined;
    const cal = () =>
      (calPanel ??= CalibrationPanel.start(this.s.replayHost.extensionUri, spec.label, spec.calibrationEpisodes ?? 0));
    if (spec.kind === 'calibrate') cal();
    let report: (message: string, increment?: number) => void = () => undefined;
    const apply = (f: RunEffect) => {
      switch (f.kind) {
        case 'log':
          if (f.level === 'warn') output.warn(f.text);
          else output.info(f.text);
          break;
        case 'progress':
          report(f.message, f.increment);
          break;
        case 'openReplay':
          ReplayPanel.createOrShow(this.s.replayHost, f.trace, f.step, true, spec.replayNote, true);
          break;
        case 'overlay':
          for (const t of f.on) ReplayPanel.get(t)?.setOverlays(f.traces);
          break;
        case 'calibrationEpisode':
          cal().episodeEnded(f.episode);
          break;
        case 'calibrationTotal':
          cal().setTotal(f.total);
          break;
        case 'calibrationSaved':
          try {
            calibration = readCalibrationResult(path.resolve(spec.cwd, f.file));
            output.info(calibrationTable(spec.label, calibration));
            cal().finished(calibration);
          } catch (err) {
            output.warn((err as Error).message);
          }
          break;
        case 'traceChanged':
          // Live panels re-read their trace (throttled inside).
          for (const p of ReplayPanel.all) {
            if (
              (f.trace && p.file === path.resolve(f.trace)) ||
              (f.episodeId && path.basename(p.file) === `${f.episodeId}.trace.jsonl`)
            )
              p.traceChanged();
          }
          break;
      }
    };
    const onEvent = (e: EngineEvent) => {
      model.onEngineEvent(e, spec.scenarioFile);
      this.engineEvents.fire(e);
      const r = reduceRun(spec, state, e);
      state = r.state;
      for (const f of r.effects) apply(f);
      statusBar.show(
        spec.label,
        state.done,
        state.total,
        state.flagged,
        state.flaggedShown ?? state.followed ?? undefined,
      );
    };
    output.info(`${spec.kind}: ${spec.nodePath} ${[spec.cli, ...spec.args].map(quote).join(' ')}`);
    const engine = new EngineProcess(
      { cli: spec.cli, args: spec.args, cwd: spec.cwd, nodePath: spec.nodePath },
      onEvent,
      (line) => {
        if (++badLines <= 20) output.warn(`engine printed a line that is not an event: ${line.slice(0, 300)}`);
      },
    );
    this.s.errors.clear();
    statusBar.show(spec.label, 0, 0, 0, undefined);
    void vscode.commands.executeCommand('setContext', 'objectiveMonitor.running', true);

    const done = (async (): Promise<RunOutcome> => {
      let exit!: EngineExit;
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Objective Monitor: ${spec.kind === 'run' ? 'running' : 'calibrating'} ${spec.label}`,
          cancellable: true,
        },
        async (progress, token) => {
          report = (message, increment) => progress.report({ message, increment });
          token.onCancellationRequested(() => engine.stop());
          exit = await engine.done;
        },
      );
      const outcome: RunOutcome = {
        exit,
        runId: state.runId,
        episodes: state.done,
        flagged: state.flagged,
        predicted: state.predicted,
        failures: state.failures,
        shownTrace: state.flaggedShown ?? state.followed,
        notices: state.notices,
        args: spec.args,
      };
      const problem = commonProblem(state.failures);
      if (problem) outcome.problem = problem;
      if (calibration) outcome.calibration = calibration;
      else if (calPanel)
        calPanel.ended(exit.stopped ? 'stopped' : 'failed', exit.stopped ? null : (problem ?? engineMessage(exit)));
      return outcome;
    })();
    const tracked = done.finally(async () => {
      this.current = undefined;
      statusBar.hide();
      void vscode.commands.executeCommand('setContext', 'objectiveMonitor.running', false);
      await model.settle();
      for (const p of ReplayPanel.all) p.traceChanged();
    });
    this.current = { engine, done: tracked };
    void tracked.then(
      (o) => this.reportOutcome(spec, o),
      (e: unknown) => output.error(`run failed: ${(e as Error).message}`),
    );
    return tracked;
  }

  private reportOutcome(spec: RunSpec, o: RunOutcome): void {
    const { output } = this.s;
    const { exit } = o;
    if (exit.stderr.trim()) output.info(`engine stderr:\n${exit.stderr.trim()}`);
    if (exit.stopped) {
      void vscode.window.showInformationMessage(
        `Objective Monitor: ${spec.label} stopped after ${o.episodes} episodes.`,
      );
      return;
    }
    if (o.problem) {
      output.error(o.problem);
      void vscode.window.showErrorMessage(`Objective Monitor: ${spec.label}: ${o.problem}`, 'Show Output').then((c) => {
        if (c) output.show(true);
      });
      return;
    }
    if (o.failures.length) void this.s.errors.report(`Objective Monitor: ${spec.label}`, o.failures);
    // The CLI exits 2 on bad input (scenario file, arguments) and on episodes that broke.
    if (exit.code !== 0 && exit.code !== 1 && o.failures.length === 0) {
      const msg = engineMessage(exit);
      output.error(msg);
      void vscode.window.showErrorMessage(`Objective Monitor: ${spec.label}: ${msg}`, 'Show Output').then((c) => {
        if (c) output.show(true);
      });
      return;
    }
    if (spec.kind === 'calibrate') {
      const c = o.calibration;
      if (!c) {
        const saved = o.notices.find((n) => SAVED_NOTICE.test(n)) ?? 'Calibration done.';
        void vscode.window.showInformationMessage(`Objective Monitor: ${spec.label}: ${saved}`);
        return;
      }
      void vscode.window
        .showInformationMessage(
          `Objective Monitor: ${spec.label} calibrated: ${calibrationSummary(c)}.`,
          'Open Calibration',
          'Show Output',
        )
        .then((choice) => {
          if (choice === 'Open Calibration')
            void vscode.window.showTextDocument(vscode.Uri.file(c.file), { preview: false });
          else if (choice === 'Show Output') output.show(true);
        });
      return;
    }
    const summary = `${spec.label}: ${o.flagged} of ${o.episodes} episodes flagged${o.predicted ? `, ${o.predicted} by the guard's prediction` : ''}.`;
    output.info(summary);
    if (o.flagged > 0 && o.shownTrace) {
      const shown = o.shownTrace;
      void vscode.window.showWarningMessage(`Objective Monitor: ${summary}`, 'Open Flagged Episode').then((c) => {
        if (c) void vscode.commands.executeCommand('objectiveMonitor.openTrace', vscode.Uri.file(shown));
      });
    } else {
      void vscode.window.showInformationMessage(`Objective Monitor: ${summary}`);
    }
  }
}

/** When every failure is gymnasium missing for one interpreter: the one message to show for all. */
export function commonProblem(failures: readonly EpisodeFailure[]): string | undefined {
  if (failures.length === 0) return undefined;
  const interps = new Set(failures.map((f) => missingGymnasium(f.error?.message)));
  if (interps.size !== 1) return undefined;
  const [interp] = interps;
  if (!interp) return undefined;
  return `gymnasium is not installed for ${interp}: pip install gymnasium (run \`"${interp}" -m pip install gymnasium\`), or choose another interpreter in "objectiveMonitor.python.interpreter". ${failures.length} episode${failures.length === 1 ? '' : 's'} could not start.`;
}

/** The engine's own error text: its stderr without the "objective-monitor: " prefix. */
export function engineMessage(exit: EngineExit): string {
  const lines = exit.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const mine = lines
    .filter((l) => l.startsWith('objective-monitor:'))
    .map((l) => l.replace(/^objective-monitor:\s*/, ''));
  if (mine.length) return mine.join(' ');
  if (lines.length) return lines.slice(-3).join(' ');
  return exit.signal ? `the engine was killed by ${exit.signal}` : `the engine exited with code ${exit.code}`;
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
