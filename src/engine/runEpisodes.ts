// A run: seeds spread over a pool of runner children (one per core by default, reused across
// episodes, replaced when one crashed, hung or misbehaved), one trace per episode, events as it goes,
// results in seed order.
import os from 'node:os';
import path from 'node:path';
import { createMonitor } from '../core/detectors';
import type { EngineEvent } from '../shared/engineEvents';
import { EpisodeRecorder } from './episodeRecorder';
import { FailFast } from './failFast';
import { episodeCommandText, planEpisodes } from './episodePlan';
import { hostShutdownAcquire, hostShutdownRelease, track } from './hostShutdown';
import { episodeIdFor, makeRunId, tracePath } from './paths';
import { RunnerProcess } from './runnerProcess';
import { cleanStaleRunners } from './staleRunners';
import { startEpisode, superviseEpisode } from './superviseEpisode';
import { traceWritesSettled } from './traceWriter';
import type { EpisodeResult, RunRequest, RunResult } from './types';

/** Episode commands a runner holds behind the one it runs. One was enough to skip the round trip
 *  between episodes, but then any hiccup of the engine longer than one episode (a GC, the memory
 *  poll's scan of /proc; 400 fast steps take ~1 ms) left the runner waiting for its next command
 *  (docs/performance.md, "Where the runner's time goes"). */
const AHEAD = 2;

export async function runEpisodes(req: RunRequest): Promise<RunResult> {
  cleanStaleRunners();
  const plan = planEpisodes(req);
  // fail before spawning anything when the detector cannot run (e.g. no calibration)
  createMonitor(req.detector, req.calibration);
  const runId = makeRunId();
  const dir = path.join(path.resolve(req.tracesDir), runId);
  const emit = (e: EngineEvent): void => {
    try {
      req.onEvent?.(e);
    } catch {
      // a listener's bug must not break the run
    }
  };
  const seen = new Map<number, number>();
  const episodes = req.seeds.map((seed) => {
    const n = seen.get(seed) ?? 0;
    seen.set(seed, n + 1);
    const episodeId = n === 0 ? episodeIdFor(seed) : `${episodeIdFor(seed)}-${n + 1}`;
    return { seed, episodeId, trace: tracePath(req.tracesDir, runId, episodeId) };
  });
  const results: (EpisodeResult | undefined)[] = new Array(episodes.length);
  // Fail fast (failFast.ts): once the rule trips no episode starts; calibration also ends the ones
  // running (nothing of it will be saved), deployment lets them finish (their traces are the record).
  const failFast = req.failFast ? new FailFast(req.failFast) : null;
  const inner = new AbortController();
  const onOuterAbort = () => inner.abort();
  if (req.signal?.aborted) inner.abort();
  req.signal?.addEventListener('abort', onOuterAbort);
  const halted = (): boolean => inner.signal.aborted || failFast?.stopped != null;
  const observed = new WeakSet<EpisodeResult>();
  const ended = (r: EpisodeResult): void => {
    if (observed.has(r)) return;
    observed.add(r);
    if (failFast && !failFast.stopped && failFast.observe(r) && req.failFast === 'calibration') inner.abort();
  };
  const workers = req.keeper
    ? 1
    : Math.max(1, Math.min(req.workers ?? os.availableParallelism?.() ?? os.cpus().length, episodes.length));
  emit({
    type: 'run_start',
    runId,
    dir,
    scenario: req.scenario.spec.name,
    agent: req.agent.name,
    distribution: req.distribution,
    episodes: episodes.length,
  });

  let next = 0;
  const spawnRunner = (running: { episodeId: string | null }): RunnerProcess =>
    new RunnerProcess({
      runtime: plan.runtime,
      python: req.python,
      memoryLimitMb: req.limits.memoryLimitMb,
      cwd: req.scenario.dir,
      onLog: req.keeper
        ? (stream, text) => req.keeper!.log(stream, text)
        : (stream, text) => emit({ type: 'log', episodeId: running.episodeId, stream, text }),
    });

  interface Opened {
    rec: EpisodeRecorder;
    untrack: () => void;
  }
  /** Opens episode i's trace (header written) and announces it. */
  const openEpisode = (i: number): Opened => {
    const ep = episodes[i];
    const rec = new EpisodeRecorder({
      runId,
      episodeId: ep.episodeId,
      seed: ep.seed,
      trace: ep.trace,
      header: { ...plan.header, runId, episodeId: ep.episodeId, seed: ep.seed, startedAt: new Date().toISOString() },
      recording: req.recording,
      protocol: req.protocol,
      maxSteps: plan.command.maxSteps,
      monitor: createMonitor(req.detector, req.calibration),
      memoryLimitMb: req.limits.memoryLimitMb,
      emit,
      guard: req.guard ?? null,
      harmKey: req.scenario.spec.harm?.info ?? null,
      ...(req.fork ? { fork: { replaySteps: req.fork.actions.length, snapshots: req.fork.snapshots } } : {}),
    });
    const untrack = track.recorder(rec);
    emit({ type: 'episode_start', runId, episodeId: ep.episodeId, seed: ep.seed, trace: ep.trace });
    return { rec, untrack };
  };
  const commands = episodeCommandText(plan.command);
  /** Episode i's command for runner `c`: with the calibration the first time `c` is sent it, by its id
   *  after that (a runner reads its commands in order, and one that is replaced starts afresh). */
  const commandFor = (i: number, c: RunnerProcess): string => {
    const id = commands.calibrationId;
    const held = id !== null && c.calibrationSent === id;
    if (id !== null) c.calibrationSent = id;
    return commands.text(episodes[i].episodeId, episodes[i].seed, req.checkRender === true && i === 0, held);
  };

  /** An episode claimed while the ones before it run, its command already sent to their runner. */
  interface Ahead {
    i: number;
    sent: boolean;
    opened: Opened | null;
  }

  const worker = async (): Promise<void> => {
    let child: RunnerProcess | null = null;
    let untrack: () => void = () => {};
    // the episode the worker's child is running, for attributing its output
    const running = { episodeId: null as string | null };
    // a kept runner (a blame's forks): start on it, and hand it back at the end
    const kept = req.keeper?.take() ?? null;
    if (kept) ({ child, untrack } = kept);
    if (req.keeper)
      req.keeper.log = (stream, text) => emit({ type: 'log', episodeId: running.episodeId, stream, text });
    /** the commands sent to `child` behind the episode it runs, in order; the first may have started */
    let pending: Ahead[] = [];
    /** claimed episodes whose commands went to a child that was replaced before starting them */
    const retry: number[] = [];
    /** the recorder of the episode the child started last (the one a hand-over ends) */
    let current: EpisodeRecorder | null = null;
    let starting: Ahead | null = null;
    /** Sends commands to `c` until AHEAD of them wait behind the episode it runs. Each starts at its
     *  predecessor's end record, if the child is still trusted then (RunnerProcess.queueNext). */
    const claimAhead = (c: RunnerProcess): void => {
      // the episode being started by a hand-over no longer waits
      while (pending.filter((a) => !a.opened && a !== starting).length < AHEAD) {
        if (next >= episodes.length || halted() || !c.alive || c.isBroken) return;
        if (pending.some((a) => !a.sent)) return;
        const a: Ahead = { i: next++, sent: false, opened: null };
        pending.push(a);
        a.sent = c.send(commandFor(a.i, c));
        if (!a.sent) return;
        c.queueNext(() => {
          // the runner ended the episode before it itself and is trusted: that trace is final (and
          // counts for fail fast now, before another episode is claimed)
          if (current) ended(current.finish());
          // the next command goes out now: it waits in the runner's control pipe, and the runner
          // reads it as it ends the episodes before it (the Python runner: omWire.next_command)
          starting = a;
          claimAhead(c);
          starting = null;
          a.opened = openEpisode(a.i);
          current = a.opened.rec;
          running.episodeId = episodes[a.i].episodeId;
          return a.opened.rec;
        });
      }
    };
    try {
      for (;;) {
        const head = pending[0] as Ahead | undefined;
        let i: number;
        let opened: Opened;
        let handedOver = false;
        if (head?.opened) {
          // the runner started it at the end of the episode before: it runs on the same child
          pending.shift();
          i = head.i;
          opened = head.opened;
          handedOver = true;
        } else {
          const again = retry.shift();
          if (again !== undefined) {
            // never started (its child was replaced): run it afresh, unless the run was stopped
            if (halted()) break;
            i = again;
          } else {
            if (next >= episodes.length || halted()) break;
            i = next++;
          }
          opened = openEpisode(i);
        }
        const { rec } = opened;
        try {
          if (!handedOver) {
            if (!child || !child.alive) {
              child = spawnRunner(running);
              untrack = track.child(child);
              const problem = await child.handshake(req.limits.startupTimeoutMs);
              if (problem) {
                rec.conclude({
                  reason: 'crashed',
                  detail: { message: problem, phase: 'startup', stderr: child.output.tail('stderr').slice(-2000) },
                  replaceChild: true,
                });
                results[i] = rec.finish();
                ended(results[i]!);
                await child.kill();
                untrack();
                child = null;
                continue;
              }
            }
            running.episodeId = episodes[i].episodeId;
            current = rec;
            startEpisode(child, rec, commandFor(i, child));
            claimAhead(child);
          }
          const c = child as RunnerProcess;
          const { result, reuse } = await superviseEpisode(c, rec, req.limits, inner.signal);
          results[i] = result;
          ended(result);
          if (pending.length && !pending[0].opened) {
            // Their commands were sent but none started: this child holds them, so it serves no
            // other episode; they run afresh, in order, on a new child.
            c.cancelQueued();
            for (const a of pending) retry.push(a.i);
            pending = [];
            if (reuse) await c.kill();
            untrack();
            child = null;
          } else if (!reuse && !pending.length) {
            untrack();
            child = null;
          }
          // else the next episode started on this child: it is supervised there, whatever became of the child
        } finally {
          opened.untrack();
          if (running.episodeId === episodes[i].episodeId) running.episodeId = null;
        }
      }
    } finally {
      if (req.keeper) req.keeper.keep(child, untrack);
      else if (child) {
        await child.shutdown();
        untrack();
      }
    }
  };

  hostShutdownAcquire();
  try {
    await Promise.all(Array.from({ length: workers }, () => worker()));
    await traceWritesSettled();
  } finally {
    hostShutdownRelease();
    req.signal?.removeEventListener('abort', onOuterAbort);
  }
  const done = results.filter((r): r is EpisodeResult => r !== undefined);
  const predicted = done.filter((r) => r.flaggedStep === null && r.reason === 'predicted_stop').length;
  const flagged = done.filter((r) => r.flaggedStep !== null).length + predicted;
  emit({ type: 'run_end', runId, episodes: done.length, flagged, predicted });
  return { runId, dir, episodes: done, ...(failFast?.stopped ? { stoppedEarly: failFast.stopped } : {}) };
}
