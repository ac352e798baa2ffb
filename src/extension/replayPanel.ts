// The replay panel host (webview-sample style): one panel per trace, createOrShow/revive, one
// getWebviewOptions() for create and restore, CSP default-src 'none' with a fresh crypto nonce
// per render, command URIs off. The page carries its styles and bundle inline (no fetch); data goes
// by postMessage only (never into the HTML), and every message from the webview is validated against
// the typed protocol in shared/webviewProtocol.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Scene, Shape } from '../core/scene';
import {
  AppendMessage,
  BlameMessage,
  EndMessage,
  ForkCompareMessage,
  GotoStepMessage,
  LoadMessage,
  MAX_OVERLAYS,
  OverlayMessage,
  ReflagMessage,
  StepDetailsMessage,
  parseWebviewMessage,
  type BlameParams,
  type ForkCompare,
  type LoadParams,
  type OverlaySeries,
  type ReplayBand,
  type ReplayEnd,
  type ReplayMeta,
  type StepColumns,
  type StepDetailParams,
} from '../shared/webviewProtocol';
import { TRACE_EXTENSION, type TraceHeader, type TraceStep } from '../core/traceFormat';
import type { FlagSettings, TraceFlags } from '../core/reflag';
import { compareFork } from './forkCompare';
import { OpenTiming } from './openTiming';
import { isFinishedTrace } from './traceFinished';
import { inlineSafe, pageHtml, withSourceMap } from './inlinePage';
import type { ReadProgress } from './traceColumns';
import { packColumns } from '../shared/packedColumns';
import { recordOfStep, type LoadedTrace, type TraceCache } from './traceCache';

export const REPLAY_VIEW_TYPE = 'objectiveMonitor.replay';
const FILES_KEY = 'objectiveMonitor.replay.files';
/** live appends at most ~10 per second: the webview draws at most once per frame anyway */
const REFRESH_MS = 100;
/** a live run finishing episodes quickly re-sends the overlay set at most this often */
const OVERLAY_MS = 250;

export interface ReplayHost {
  extensionUri: vscode.Uri;
  store: TraceCache;
  workspaceState: vscode.Memento;
  /** the detector settings to flag with (null detector: as recorded) */
  flagSettings(): FlagSettings;
  log(message: string): void;
  /** a line for the output at info level (how long an open took) */
  info(message: string): void;
}

export function getWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    enableForms: false,
    localResourceRoots: [
      vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
      vscode.Uri.joinPath(extensionUri, 'media'),
    ],
    retainContextWhenHidden: false,
    enableFindWidget: true,
  };
}

export class ReplayPanel implements vscode.Disposable {
  private static readonly panels = new Map<string, ReplayPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private sentSteps = 0;
  private sentEnd = false;
  private pendingGoto: number | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private refreshAgain = false;
  private episodeId = '';
  /** other episodes' traces drawn over this one (Compare Episodes, and the live run's finished episodes) */
  private overlayFiles: string[] = [];
  private overlayTimer: NodeJS.Timeout | undefined;
  /** the other episode of a fork pair (this trace's fork, or its parent): overlaid, marked, ghosted */
  private forkWith: string | undefined;
  private forkCompare: ForkCompare | null = null;
  /** the last "Find the point of no return" result for this trace */
  private blame: Omit<BlameParams, 'episodeId'> | undefined;
  /** the phases of this panel's opening, said in the output once the whole trace is posted */
  private readonly timing = new OpenTiming();
  /** a finished trace's read, started with the panel; the webview's first ready uses it */
  private earlyRead: EarlyRead | undefined;
  /** whether the last load told the webview to show the scene canvas */
  private sentScene = false;
  /** the early view's post, awaited before the whole trace's */
  private preview: Promise<boolean> | undefined;

  static get all(): ReplayPanel[] {
    return [...ReplayPanel.panels.values()];
  }

  static get(file: string): ReplayPanel | undefined {
    return ReplayPanel.panels.get(path.resolve(file));
  }

  /** The replay panel the user is looking at (focused), if any: commands without an argument act on it. */
  static get active(): ReplayPanel | undefined {
    return ReplayPanel.all.find((p) => p.panel.active);
  }

  /** `note`: said in the title after the episode, e.g. "re-run", so the panel is told apart from
   *  the original episode's (same scenario, agent and seed). `ofRun`: the panel follows an episode
   *  of a run going on, which reads its trace when the webview is ready (see the constructor). */
  static createOrShow(
    host: ReplayHost,
    file: string,
    step?: number,
    preserveFocus = false,
    note?: string,
    ofRun = false,
  ): ReplayPanel {
    const key = path.resolve(file);
    const existing = ReplayPanel.panels.get(key);
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      if (step !== undefined) existing.goto(step);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      REPLAY_VIEW_TYPE,
      titleFor(file, undefined, note),
      { viewColumn: vscode.ViewColumn.Active, preserveFocus },
      getWebviewOptions(host.extensionUri),
    );
    return new ReplayPanel(panel, host, key, step, note, ofRun);
  }

  /** Restores a panel after a reload, from the episode id the webview kept in its state. */
  static revive(panel: vscode.WebviewPanel, host: ReplayHost, state: unknown): void {
    const episodeId =
      typeof state === 'object' && state !== null && typeof (state as { episodeId?: unknown }).episodeId === 'string'
        ? (state as { episodeId: string }).episodeId
        : undefined;
    const files = host.workspaceState.get<Record<string, string>>(FILES_KEY, {});
    const file = episodeId ? files[episodeId] : undefined;
    panel.webview.options = getWebviewOptions(host.extensionUri);
    if (!file || !fs.existsSync(file)) {
      panel.webview.html = messageHtml(
        panel.webview,
        'This replay\'s trace is no longer available. Open a trace with "Objective Monitor: Open Trace in Replay".',
      );
      return;
    }
    if (ReplayPanel.panels.has(path.resolve(file))) {
      panel.dispose();
      return;
    }
    new ReplayPanel(panel, host, path.resolve(file));
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly host: ReplayHost,
    readonly file: string,
    gotoStep?: number,
    readonly note?: string,
    ofRun = false,
  ) {
    ReplayPanel.panels.set(file, this);
    this.pendingGoto = gotoStep;
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m), null, this.disposables);
    // The page (250 KB with its bundle) is set a turn later: the connection to the window sends what
    // was posted in one turn as one write, and the panel's creation would wait for the page's bytes
    // to arrive (the frame then started 0.5 s later, docs/performance.md); alone, the creation goes
    // first and VS Code starts the webview's frame while the page is on its way.
    setTimeout(() => {
      if (ReplayPanel.panels.get(file) !== this) return;
      panel.webview.html = replayHtml(panel.webview, host.extensionUri);
      this.timing.mark('page');
    }, 0);
    // A finished trace is read while the webview starts (a second or more on a large trace): the
    // file will not change. A trace still being written is read at the webview's ready, as it is then;
    // so is a run's episode even when it has just ended: its panel is driven by the run's events
    // (following, zoom on the flag), and an early read racing them left e2e replay flaky.
    // Its first steps are posted as soon as they are read, before the webview is ready: VS Code keeps
    // messages for a page still loading and hands them over once it has loaded (the page's script has
    // run by then), so the first view does not wait for the ready's round trip. They are posted again
    // at the ready, in case this one was lost; the webview ignores the copy.
    if (!ofRun && isFinishedTrace(file)) {
      this.earlyRead = this.startRead();
      this.earlyRead.onFirst = (partial, progress) => this.postFirst(partial, progress);
    }
  }

  /** Reads the trace afresh; the first steps of a large one are kept for the early view. */
  private startRead(): EarlyRead {
    this.host.store.forget(this.file);
    // `whole` is set right below; the preview callback runs only after it is
    const read = { done: false } as EarlyRead;
    read.whole = this.host.store.load(this.file, (partial, progress) => {
      this.timing.mark('firstRead');
      read.first = { partial, progress };
      read.onFirst?.(partial, progress);
    });
    read.whole.then(
      () => {
        read.done = true;
        this.timing.mark('read');
      },
      // a failed early read is read again at ready (its error is told then)
      () => undefined,
    );
    return read;
  }

  dispose(): void {
    ReplayPanel.panels.delete(this.file);
    clearTimeout(this.refreshTimer);
    clearTimeout(this.overlayTimer);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  get isReady(): boolean {
    return this.ready;
  }

  goto(step: number): void {
    if (!this.ready) {
      this.pendingGoto = step;
      return;
    }
    void this.post(GotoStepMessage.create({ episodeId: this.episodeId, step }));
  }

  /** The trace grew (live run): send the new steps and the end, throttled. */
  traceChanged(): void {
    if (!this.ready || this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, REFRESH_MS);
  }

  /** Draws these episodes' running objectives over this one (the panel's own trace is left out;
   *  at most MAX_OVERLAYS, the latest kept). Replaces the previous set; kept across webview reloads. */
  setOverlays(files: readonly string[]): void {
    const own = this.file;
    const unique = [...new Set(files.map((f) => path.resolve(f)))].filter((f) => f !== own);
    this.overlayFiles = unique.slice(-MAX_OVERLAYS);
    if (!this.ready || this.overlayTimer) return;
    this.overlayTimer = setTimeout(() => {
      this.overlayTimer = undefined;
      void this.sendOverlays().catch((e: unknown) =>
        this.host.log(`overlays for ${path.basename(this.file)}: ${(e as Error).message}`),
      );
    }, OVERLAY_MS);
  }

  /** Shows this trace beside the other episode of its fork pair: overlaid on the chart, with the fork
   *  point, the first different action and the gap marked, and the other's moving shapes as a ghost in
   *  the scene. Called again when the fork finished (a live fork's comparison grows). */
  async setFork(other: string): Promise<void> {
    this.forkWith = path.resolve(other);
    this.setOverlays([...this.overlayFiles.filter((f) => f !== this.forkWith), this.forkWith]);
    if (this.ready) await this.sendForkCompare();
  }

  /** Marks what "Find the point of no return" found (or that it found none). */
  async showBlame(result: Omit<BlameParams, 'episodeId'>): Promise<void> {
    this.blame = result;
    if (this.ready) await this.post(BlameMessage.create({ episodeId: this.episodeId, ...result }));
  }

  private async sendForkCompare(): Promise<void> {
    const other = this.forkWith;
    if (!other || !fs.existsSync(other)) return;
    this.host.store.forget(other);
    const [own, them] = await Promise.all([this.host.store.load(this.file), this.host.store.load(other)]);
    this.forkCompare = await compareFork(this.host.store, own, them, this.host.flagSettings());
    await this.post(ForkCompareMessage.create({ episodeId: this.episodeId, compare: this.forkCompare }));
  }

  private async sendOverlays(): Promise<void> {
    if (!this.ready) return;
    const series: OverlaySeries[] = [];
    for (const file of this.overlayFiles) {
      let t: LoadedTrace;
      try {
        t = await this.host.store.load(file);
      } catch (e) {
        this.host.log(`overlay ${file}: ${(e as Error).message}`);
        continue;
      }
      const h = t.header;
      if (!h) continue;
      const scores = t.scores.slice();
      const flaggedStep = this.flags(t).flaggedStep;
      // the other episode of a fork pair is named for what it is: both share the seed
      const who =
        file !== this.forkWith
          ? `seed ${h.seed}${h.distribution === 'calibration' ? ' (calibration)' : ''}`
          : h.forkOf
            ? `fork at step ${h.forkOf.step} · agent ${h.agent.name}`
            : `parent · agent ${h.agent.name}`;
      const label = `${who}${flaggedStep === null ? '' : ` · flagged at step ${flaggedStep}`}`;
      series.push({ episodeId: h.episodeId, label: label.slice(0, 256), scores, flaggedStep });
    }
    await this.post(OverlayMessage.create({ episodeId: this.episodeId, overlays: series }));
  }

  /** Settings changed: re-evaluate flags of all loaded steps. */
  async reflag(): Promise<void> {
    if (!this.ready) return;
    const t = await this.host.store.load(this.file);
    const f = this.flags(t);
    await this.post(
      ReflagMessage.create({
        episodeId: this.episodeId,
        detector: f.detector,
        calibration: f.calibration,
        thresholds: f.thresholds.slice(0, this.sentSteps),
        statistics: f.statistics.slice(0, this.sentSteps),
        flaggedStep: f.flaggedStep,
      }),
    );
    if (f.reflagError) this.host.log(`${path.basename(this.file)}: ${f.reflagError}`);
    // the overlays' flags (in their legend labels) follow the settings too
    if (this.overlayFiles.length) await this.sendOverlays();
    if (this.forkWith) await this.sendForkCompare();
  }

  private flags(t: LoadedTrace): TraceFlags {
    return this.host.store.flags(t, this.host.flagSettings());
  }

  private async onMessage(raw: unknown): Promise<void> {
    const msg = parseWebviewMessage(raw);
    if (!msg) {
      this.host.log(`replay panel: ignored an invalid message from the webview`);
      return;
    }
    try {
      switch (msg.method) {
        case 'replay/ready':
          this.timing.mark('ready');
          await this.load();
          break;
        case 'replay/requestSteps':
          await this.sendSteps(msg.params.steps);
          break;
        case 'replay/forkHere':
          // the command asks for the agent (quick pick) and runs the fork through its usual checks
          if (msg.params.episodeId === this.episodeId)
            await vscode.commands.executeCommand(
              'objectiveMonitor.forkFromStep',
              vscode.Uri.file(this.file),
              msg.params.step,
            );
          break;
      }
    } catch (e) {
      this.host.log(`replay panel ${path.basename(this.file)}: ${(e as Error).message}`);
    }
  }

  /** Posts the trace to the webview. A trace read in more than one chunk is drawn twice: its
   *  first steps as soon as they are read (a `reading` load), then the whole trace. */
  private async load(): Promise<void> {
    // the read started with the panel serves the first ready only (a reloaded webview reads anew)
    const early = this.earlyRead;
    this.earlyRead = undefined;
    const read = early ?? this.startRead();
    read.onFirst = (partial, progress) => this.postFirst(partial, progress);
    // the first steps were read before the webview was ready, the whole trace not yet: (again) show them
    if (read.first && !read.done) this.postFirst(read.first.partial, read.first.progress);
    let t = await read.whole.catch((e: unknown) => {
      if (!early) throw e;
      this.host.store.forget(this.file);
      return this.host.store.load(this.file);
    });
    this.timing.mark('read');
    await this.preview;
    if (early) {
      // the file changed since the read began (rewritten, or written again by a re-run): read it as it is now
      const st = await fs.promises.stat(this.file).catch(() => null);
      if (st && (st.size !== t.size || st.mtimeMs !== t.mtimeMs)) {
        this.host.store.forget(this.file);
        t = await this.host.store.load(this.file);
      }
    }
    const h = t.header;
    if (!h) {
      this.panel.webview.html = messageHtml(
        this.panel.webview,
        `${this.file} is not a readable trace: ${t.problems[0]?.message ?? 'no header record'}`,
      );
      return;
    }
    this.episodeId = h.episodeId;
    this.panel.title = this.titleOf(h);
    const files = this.host.workspaceState.get<Record<string, string>>(FILES_KEY, {});
    if (files[h.episodeId] !== this.file)
      void this.host.workspaceState.update(FILES_KEY, { ...pruned(files), [h.episodeId]: this.file });
    const params = this.loadParams(t, h);
    this.ready = true;
    this.sentScene = showsScene(t);
    this.sentSteps = t.steps;
    this.sentEnd = t.end !== null;
    const goto = this.pendingGoto;
    this.pendingGoto = undefined;
    await this.post(
      LoadMessage.create({
        ...params,
        ...(goto !== undefined && goto < Math.max(t.steps, h.maxSteps) ? { gotoStep: goto } : {}),
      }),
    );
    this.timing.mark('posted');
    const opened = this.timing.line(path.basename(this.file), t.steps, t.size);
    if (opened) this.host.info(opened);
    // a fork opened on its own is shown beside its parent, when the parent is still there
    if (!this.forkWith && h.forkOf && fs.existsSync(h.forkOf.trace)) {
      this.forkWith = path.resolve(h.forkOf.trace);
      this.overlayFiles = [...this.overlayFiles.filter((f) => f !== this.forkWith), this.forkWith].slice(-MAX_OVERLAYS);
    }
    // A load clears the webview's overlays (a reloaded webview starts empty): send them again.
    if (this.overlayFiles.length) await this.sendOverlays();
    if (this.forkWith) await this.sendForkCompare();
    if (this.blame) await this.post(BlameMessage.create({ episodeId: this.episodeId, ...this.blame }));
  }

  /** Posts the first steps of a read under way (a `reading` load), drawn while the rest is read. */
  private postFirst(first: LoadedTrace, reading: ReadProgress): void {
    if (!first.header || ReplayPanel.panels.get(this.file) !== this) return;
    // the early view is a courtesy: if it cannot be made, the whole load still comes
    try {
      this.panel.title = this.titleOf(first.header);
      this.preview = this.post(LoadMessage.create({ ...this.loadParams(first, first.header), reading })).finally(() =>
        this.timing.mark('firstPosted'),
      );
    } catch (e) {
      this.host.log(`replay panel ${path.basename(this.file)}: early view: ${(e as Error).message}`);
    }
  }

  private titleOf(h: TraceHeader): string {
    return titleFor(this.file, `${h.scenario.name} / ${h.agent.name} · seed ${h.seed}`, this.note);
  }

  /** The load message for trace `t` (whole, or the first steps of a read under way). */
  private loadParams(t: LoadedTrace, h: TraceHeader): LoadParams {
    const f = this.flags(t);
    const n = t.steps;
    const calibratedOn = h.calibration?.agent && h.calibration.agent !== h.agent.name ? h.calibration.agent : undefined;
    const problem = t.reset?.sceneProblem ?? t.end?.sceneProblem;
    const sceneProblem = problem
      ? `${problem.message}${problem.file ? ` (${problem.file}${problem.line ? `:${problem.line}` : ''})` : ''}`.slice(
          0,
          2000,
        )
      : undefined;
    const meta: ReplayMeta = {
      runId: h.runId,
      episodeId: h.episodeId,
      scenario: h.scenario.name,
      agent: h.agent.name,
      environment: h.environment.module.startsWith('gymnasium:')
        ? h.environment.module
        : path.basename(h.environment.module),
      seed: h.seed,
      distribution: h.distribution,
      maxSteps: h.maxSteps,
      recording: h.recording,
      protocol: typeof h.protocol === 'string' ? h.protocol : 'fallback',
      detector: f.detector,
      calibration: f.calibration && calibratedOn ? { ...f.calibration, agent: calibratedOn } : f.calibration,
      startedAt: h.startedAt,
      hasScene: showsScene(t),
      ...(sceneProblem ? { sceneProblem } : {}),
    };
    return {
      meta,
      steps: packColumns(columns(t, f, 0, n)),
      flaggedStep: f.flaggedStep,
      end: endOf(t, f),
      band: bandOf(this.host.store, t),
    };
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      const t = await this.host.store.load(this.file);
      if (showsScene(t) !== this.sentScene) {
        // a live trace read before its reset line was written: whether it has a scene is known only
        // now, and a load says it (the scene canvas and the layout around it), so load again
        await this.load();
        return;
      }
      const n = t.steps;
      const f = this.flags(t);
      if (n > this.sentSteps) {
        await this.post(
          AppendMessage.create({
            episodeId: this.episodeId,
            steps: columns(t, f, this.sentSteps, n),
            flaggedStep: f.flaggedStep,
          }),
        );
        this.sentSteps = n;
      }
      const end = endOf(t, f);
      if (end && !this.sentEnd) {
        this.sentEnd = true;
        await this.post(EndMessage.create({ episodeId: this.episodeId, end }));
      }
    } finally {
      this.refreshing = false;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        this.traceChanged();
      }
    }
  }

  /** Answers a batch with one message: the flags are worked out once for the batch (a re-flag
   *  under other settings walks the whole trace), and the steps' lines are read in one go. */
  private async sendSteps(steps: readonly number[]): Promise<void> {
    const loaded = await this.host.store.load(this.file);
    const f = this.flags(loaded);
    const read = await this.host.store.stepRecords(
      loaded,
      steps.map((s) => recordOfStep(loaded, s)),
    );
    const t = read.trace;
    const details: StepDetailParams[] = [];
    const ghosts = this.forkCompare ? await this.ghostScenes(steps) : undefined;
    for (let k = 0; k < steps.length; k++) {
      const s = read.records[k];
      if (!s) continue;
      const step = steps[k];
      const i = recordOfStep(t, step);
      const threshold = f.thresholds[i];
      const detail: StepDetailParams = {
        episodeId: this.episodeId,
        step,
        available: t.header?.recording !== 'scores',
        increment: s.increment,
        score: s.score,
        threshold,
        statistic: f.statistics[i],
        margin: s.score - threshold,
        scene: sceneAt(t, s, s.scene ? null : await this.host.store.sceneRecord(t, i)),
      };
      if (ghosts) detail.ghost = ghosts[k];
      if (s.action !== undefined) detail.action = s.action;
      if (s.observation !== undefined) detail.observation = s.observation;
      if (s.info !== undefined) detail.info = s.info;
      if (s.reward !== undefined) detail.reward = s.reward;
      if (s.terminated !== undefined) detail.terminated = s.terminated;
      if (s.truncated !== undefined) detail.truncated = s.truncated;
      if (s.fallback !== undefined) detail.fallback = s.fallback;
      details.push(detail);
    }
    await this.post(StepDetailsMessage.create({ episodeId: this.episodeId, details }));
  }

  /** The other episode's moving shapes at these steps (null where it has no scene, e.g. past its end). */
  private async ghostScenes(steps: readonly number[]): Promise<(Scene | null)[]> {
    const other = await this.host.store.load(this.forkWith!);
    const read = await this.host.store.stepRecords(
      other,
      steps.map((s) => recordOfStep(other, s)),
    );
    const out: (Scene | null)[] = [];
    for (let k = 0; k < steps.length; k++) {
      const r = read.records[k];
      const i = recordOfStep(read.trace, steps[k]);
      const scene = r
        ? sceneAt(read.trace, r, r.scene ? null : await this.host.store.sceneRecord(read.trace, i))
        : null;
      const moving = scene?.shapes.filter((sh) => !sh.static) ?? [];
      out.push(scene && moving.length ? { width: scene.width, height: scene.height, shapes: moving } : null);
    }
    return out;
  }

  private async post(msg: { method: string; params: unknown }): Promise<boolean> {
    return this.panel.webview.postMessage(msg);
  }
}

/** A read of the panel's trace: the whole (when done), and its first steps for the early view,
 *  kept until the webview is ready to be sent them (`onFirst` sends them once it is). */
interface EarlyRead {
  whole: Promise<LoadedTrace>;
  done: boolean;
  first?: { partial: LoadedTrace; progress: ReadProgress };
  onFirst?: (partial: LoadedTrace, progress: ReadProgress) => void;
}

export class ReplaySerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly host: ReplayHost) {}
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    ReplayPanel.revive(panel, this.host, state);
  }
}

function titleFor(file: string, what?: string, note?: string): string {
  return `Replay: ${what ?? path.basename(file, TRACE_EXTENSION)}${note ? ` (${note})` : ''}`;
}

function pruned(files: Record<string, string>): Record<string, string> {
  // Keep the map small: only traces that still exist, at most 200.
  const entries = Object.entries(files).filter(([, f]) => fs.existsSync(f));
  return Object.fromEntries(entries.slice(-200));
}

function columns(t: LoadedTrace, f: TraceFlags, from: number, to: number): StepColumns {
  return {
    from,
    increments: t.increments.slice(from, to),
    scores: t.scores.slice(from, to),
    thresholds: f.thresholds.slice(from, to),
    statistics: f.statistics.slice(from, to),
  };
}

/** The episode's end as the panel shows it: its flag is the one under the settings (a recorded
 *  flag the settings no longer reach is not shown as the panel's flag). */
function endOf(t: LoadedTrace, f: TraceFlags): ReplayEnd | null {
  const e = t.end;
  if (!e) return null;
  const end: ReplayEnd = {
    reason: e.reason,
    steps: e.steps,
    score: e.score,
    flaggedStep: f.flaggedStep,
    durationMs: e.durationMs,
  };
  if (e.error) end.error = e.error;
  // the guard's prediction that fired: the panel draws it as a dashed projection
  if (e.prediction) end.prediction = e.prediction;
  if (e.guard) end.guard = e.guard;
  return end;
}

function bandOf(store: TraceCache, t: LoadedTrace): ReplayBand | null {
  const cal = store.calibrationFor(t);
  if (!cal?.band) return null;
  return {
    p05: Float64Array.from(cal.band.p05),
    p50: Float64Array.from(cal.band.p50),
    p95: Float64Array.from(cal.band.p95),
    ...(typeof cal.longestEpisode === 'number' ? { trainedSteps: cal.longestEpisode } : {}),
    ...(cal.warnings?.length ? { warnings: cal.warnings.slice(0, 20) } : {}),
  };
}

/** The step's scene with the reset scene's static shapes under it; steps without a scene of their
 *  own show the last one before them (`earlier`, read by the store). */
function sceneAt(t: LoadedTrace, step: TraceStep, earlier: TraceStep | null): Scene | null {
  const base = t.reset?.scene;
  const statics: Shape[] = base ? base.shapes.filter((s) => s.static) : [];
  const own = step.scene ?? earlier?.scene;
  const frame = own ?? base;
  if (!frame) return null;
  const shapes = own ? [...statics, ...own.shapes.filter((s) => !s.static)] : frame.shapes;
  return { width: frame.width, height: frame.height, shapes };
}

function nonce(): string {
  return crypto.randomBytes(18).toString('base64');
}

/** The replay webview's page (the calibration and curves panels show the same bundle). The styles
 *  and the bundle go inside the page, under the CSP nonce: fetched, each is a round trip through VS
 *  Code's webview service worker and the window's connection to the extension host, and the script
 *  waited for the styles (0.3 s of a quiet 1M-step open's 1.45 s to its first chart, docs/performance.md). */
export function replayHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const n = nonce();
  const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  const parts: string[] = [];
  for (const p of [
    ['media', 'replay.css'],
    ['media', 'calibration.css'],
    ['media', 'curves.css'],
  ]) {
    const text = readAsset(extensionUri, p);
    if (text === null) continue;
    parts.push(
      inlineSafe(text) ? `<style nonce="${n}">\n${text}\n</style>` : `<link rel="stylesheet" href="${asset(...p)}">`,
    );
  }
  const bundle = readAsset(extensionUri, ['dist', 'webview', 'main.js']);
  const script =
    bundle !== null && inlineSafe(bundle)
      ? `<script nonce="${n}">\n${withSourceMap(bundle, asset('dist', 'webview', 'main.js.map'))}\n</script>`
      : `<script nonce="${n}" src="${asset('dist', 'webview', 'main.js')}"></script>`;
  return pageHtml({ nonce: n, cspSource: webview.cspSource, styles: parts, script });
}

function readAsset(extensionUri: vscode.Uri, p: string[]): string | null {
  try {
    return fs.readFileSync(path.join(extensionUri.fsPath, ...p), 'utf8');
  } catch {
    return null;
  }
}

function messageHtml(webview: vscode.Webview, text: string): string {
  // The text is escaped: it may hold a path.
  const esc = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource};"></head><body><p>${esc}</p></body></html>`;
}

/** Whether the panel shows the scene canvas for `t`: the environment rendered at reset or at step 0,
 *  or said why it could not. A live trace read before its reset line was written does not know yet. */
function showsScene(t: LoadedTrace): boolean {
  return (
    t.reset?.scene !== undefined ||
    (t.lastScene !== null && t.lastScene[0] === 0) ||
    (t.reset?.sceneProblem ?? t.end?.sceneProblem) !== undefined
  );
}
