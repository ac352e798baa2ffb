// The runs in <workspace>/.objective-monitor/traces/<runId>/<episodeId>.trace.jsonl, grouped by
// scenario, with each episode's flag under the current detector settings. Fed from disk (refresh)
// and from the live engine event stream of the current run.
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { FlagSettings } from '../core/reflag';
import { TRACE_EXTENSION, type EndReason, type ForkOf, type UserError } from '../core/traceFormat';
import type { EngineEvent } from '../shared/engineEvents';
import type { TraceCache } from './traceCache';

export interface EpisodeInfo {
  file: string;
  runId: string;
  episodeId: string;
  seed: number;
  scenario: string;
  /** the scenario file the trace names ('' when unknown): scenarios of one name are told apart by it */
  scenarioFile: string;
  agent: string;
  distribution: string;
  startedAt: string;
  steps: number;
  /** null while the episode runs, or when the trace has no episode_end */
  reason: EndReason | null;
  running: boolean;
  recordedFlaggedStep: number | null;
  /** under the current settings */
  flaggedStep: number | null;
  error?: UserError;
  /** why the settings' detector could not be applied */
  note?: string;
  /** the agent the calibration was made for, when it is not this episode's agent (run --calibration) */
  calibratedOn?: string;
  /** a fork (issue 14): shown under its parent episode in the Runs view */
  forkOf?: ForkOf;
}

export interface RunInfo {
  runId: string;
  dir: string;
  scenario: string;
  /** '' when unknown */
  scenarioFile: string;
  agent: string;
  distribution: string;
  startedAt: string;
  episodes: EpisodeInfo[];
  /** the calibration's agent, when it is not the agent that ran */
  calibratedOn?: string;
}

export class RunsModel implements vscode.Disposable {
  private runs = new Map<string, RunInfo>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private refreshing: Promise<void> | undefined;
  private firstLoad: Promise<void> | undefined;

  constructor(
    private readonly store: TraceCache,
    private readonly outDir: () => string | undefined,
    private readonly flagSettings: () => FlagSettings,
  ) {}

  dispose(): void {
    this.changed.dispose();
  }

  get all(): RunInfo[] {
    return [...this.runs.values()].sort(
      (a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId),
    );
  }

  run(runId: string): RunInfo | undefined {
    return this.runs.get(runId);
  }

  /** the forks of the episode recorded in `file`, oldest first */
  forksOf(file: string): EpisodeInfo[] {
    const out: EpisodeInfo[] = [];
    for (const r of this.runs.values()) for (const e of r.episodes) if (e.forkOf?.trace === file) out.push(e);
    return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  episodeByFile(file: string): EpisodeInfo | undefined {
    for (const r of this.runs.values()) for (const e of r.episodes) if (e.file === file) return e;
    return undefined;
  }

  /** Re-reads every trace on disk and re-flags it (coalesced: one refresh at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    this.firstLoad ??= this.refreshing;
    return this.refreshing;
  }

  /** Settles once the runs on disk have been read at least once. A command that offers recent
   *  episodes waits for it: run right after the window opened, it found none yet and fell back to a
   *  file dialog (seen in an e2e test under CI's load). */
  loaded(): Promise<void> {
    return this.firstLoad ?? this.refresh();
  }

  private async doRefresh(): Promise<void> {
    const dir = this.outDir();
    const next = new Map<string, RunInfo>();
    const tracesDir = dir ? path.join(dir, 'traces') : undefined;
    if (tracesDir && fs.existsSync(tracesDir)) {
      for (const runId of await fs.promises.readdir(tracesDir)) {
        const runDir = path.join(tracesDir, runId);
        let files: string[];
        try {
          files = (await fs.promises.readdir(runDir)).filter((f) => f.endsWith(TRACE_EXTENSION)).sort();
        } catch {
          continue;
        }
        const live = this.runs.get(runId);
        const episodes: EpisodeInfo[] = [];
        for (const f of files) {
          const file = path.join(runDir, f);
          const info = await this.readEpisode(file, runId);
          const wasRunning = live?.episodes.find((e) => e.file === file)?.running;
          if (info) episodes.push(wasRunning && info.reason === null ? { ...info, running: true } : info);
        }
        if (episodes.length === 0 && !live) continue;
        const first = episodes[0];
        next.set(runId, {
          runId,
          dir: runDir,
          scenario: first?.scenario ?? live?.scenario ?? '?',
          scenarioFile: first?.scenarioFile || live?.scenarioFile || '',
          agent: first?.agent ?? live?.agent ?? '?',
          distribution: first?.distribution ?? live?.distribution ?? 'deployment',
          startedAt: live?.startedAt ?? first?.startedAt ?? '',
          episodes: mergeRunning(episodes, live),
          ...(first?.calibratedOn ? { calibratedOn: first.calibratedOn } : {}),
        });
      }
    }
    this.runs = next;
    this.changed.fire();
  }

  private async readEpisode(file: string, runId: string): Promise<EpisodeInfo | undefined> {
    try {
      const t = await this.store.load(file);
      const h = t.header;
      const flags = this.store.flags(t, this.flagSettings());
      return {
        file,
        runId,
        episodeId: h?.episodeId ?? path.basename(file, TRACE_EXTENSION),
        seed: h?.seed ?? NaN,
        scenario: h?.scenario.name ?? '?',
        scenarioFile: h?.scenario.file ?? '',
        agent: h?.agent.name ?? '?',
        distribution: h?.distribution ?? '?',
        startedAt: h?.startedAt ?? '',
        steps: t.steps,
        reason: t.end?.reason ?? null,
        running: false,
        recordedFlaggedStep: flags.recordedFlaggedStep,
        flaggedStep: flags.flaggedStep,
        error: t.end?.error,
        ...(flags.reflagError ? { note: flags.reflagError } : {}),
        ...(h?.calibration?.agent && h.calibration.agent !== h.agent.name ? { calibratedOn: h.calibration.agent } : {}),
        ...(h?.forkOf ? { forkOf: h.forkOf } : {}),
      };
    } catch {
      return undefined;
    }
  }

  /** Live updates from the engine's event stream; `scenarioFile`: the file the run was started
   *  with (the event names only the scenario's name). */
  onEngineEvent(e: EngineEvent, scenarioFile = ''): void {
    switch (e.type) {
      case 'run_start':
        this.runs.set(e.runId, {
          runId: e.runId,
          dir: e.dir,
          scenario: e.scenario,
          scenarioFile,
          agent: e.agent,
          distribution: e.distribution,
          startedAt: new Date().toISOString(),
          episodes: [],
        });
        this.changed.fire();
        break;
      case 'episode_start': {
        const run = this.runs.get(e.runId);
        if (!run) return;
        run.episodes.push({
          ...liveEpisode(run, e),
          steps: 0,
          reason: null,
          running: true,
          recordedFlaggedStep: null,
          flaggedStep: null,
        });
        this.changed.fire();
        break;
      }
      case 'episode_end': {
        const run = this.runs.get(e.runId);
        if (!run) return;
        const i = run.episodes.findIndex((x) => x.episodeId === e.episodeId);
        const info: EpisodeInfo = {
          ...liveEpisode(run, e),
          steps: e.steps,
          reason: e.reason,
          running: false,
          recordedFlaggedStep: e.flaggedStep,
          flaggedStep: e.flaggedStep,
          error: e.error,
        };
        if (i >= 0) run.episodes[i] = info;
        else run.episodes.push(info);
        // Re-read it so the flag follows the current settings.
        void this.readEpisode(e.trace, e.runId).then((fresh) => {
          if (!fresh) return;
          const j = run.episodes.findIndex((x) => x.episodeId === e.episodeId);
          if (j >= 0) {
            run.episodes[j] = fresh;
            this.changed.fire();
          }
        });
        this.changed.fire();
        break;
      }
      default:
        break;
    }
  }

  /** The current run ended: episodes still marked running are re-read from disk. */
  async settle(): Promise<void> {
    await this.refresh();
  }
}

/** What a live episode's record takes from its run and from the engine's event about it. */
function liveEpisode(
  run: RunInfo,
  e: { trace: string; runId: string; episodeId: string; seed: number },
): Pick<
  EpisodeInfo,
  'file' | 'runId' | 'episodeId' | 'seed' | 'scenario' | 'scenarioFile' | 'agent' | 'distribution' | 'startedAt'
> {
  return {
    file: e.trace,
    runId: e.runId,
    episodeId: e.episodeId,
    seed: e.seed,
    scenario: run.scenario,
    scenarioFile: run.scenarioFile,
    agent: run.agent,
    distribution: run.distribution,
    startedAt: run.startedAt,
  };
}

function mergeRunning(fromDisk: EpisodeInfo[], live: RunInfo | undefined): EpisodeInfo[] {
  if (!live) return fromDisk;
  const seen = new Set(fromDisk.map((e) => e.file));
  return [...fromDisk, ...live.episodes.filter((e) => !seen.has(e.file))];
}
