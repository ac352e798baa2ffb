// A run: seeds spread over a pool of runner children (one per core by default, reused across
// episodes, replaced when one crashed, hung or misbehaved), one trace per episode, events as it goes,
// results in seed order.
import os from 'node:os';
import path from 'node:path';
import { createMonitor } from '../core/detectors';
import type { EngineEvent } from '../shared/engineEvents';
import { EpisodeRecorder } from './episodeRecorder';
import { FailFast } from './failFast';
import { planEpisodes } from './episodePlan';
import { hostShutdownAcquire, hostShutdownRelease, track } from './hostShutdown';
import { episodeIdFor, makeRunId, tracePath } from './paths';
import { RunnerProcess } from './runnerProcess';
import { cleanStaleRunners } from './staleRunners';
import { startEpisode, superviseEpisode } from './superviseEpisode';
import { traceWritesSettled } from './traceWriter';
import type { EpisodeResult, RunRequest, RunResult } from './types';

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
  const commandFor = (i: number) => ({
    ...plan.command,
    episodeId: episodes[i].episodeId,
    seed: episodes[i].seed,
    ...(req.checkRender && i === 0 ? { checkRender: true } : {}),
  });

  /** An episode claimed while the one before it runs, its command already sent to that runner. */
  interface Ahead {
    i: number;
    sent: boolean;
    opened: Opened | null;
    after: Ahead | null;
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
    /** Claims the next episode and sends its command to `c` now, behind the one it runs. */
    const claimAhead = (c: RunnerProcess): Ahead | null => {
      if (next >= episodes.length || halted() || !c.alive || c.isBroken) return null;
      const a: Ahead = { i: next++, sent: false, opened: null, after: null };
      a.sent = c.send(commandFor(a.i));
      return a;
    };
    /** At `rec`'s end record (if the child is still trusted), `a` becomes the child's episode. */
    const queueAhead = (c: RunnerProcess, rec: EpisodeRecorder, a: Ahead): void => {
      if (!a.sent) return;
      c.queueNext(() => {
        // the runner ended rec's episode itself and is trusted: its trace is final (and counts for
        // fail fast now, before another episode is claimed)
        ended(rec.finish());
        // the command after it goes next: it waits in the runner's control pipe, and the runner
        // reads it as it ends the episode starting now (the Python runner: omWire.next_command)
        a.after = claimAhead(c);
        a.opened = openEpisode(a.i);
        running.episodeId = episodes[a.i].episodeId;
        return a.opened.rec;
      });
    };
    let ahead: Ahead | null = null;
    try {
      for (;;) {
        const slot = ahead as Ahead | null;
        ahead = null;
        let i: number;
        let opened: Opened;
        const handedOver = slot ? slot.opened : null;
        if (slot && handedOver) {
          // the runner started it at the end of the episode before: it runs on the same child
          i = slot.i;
          opened = handedOver;
          ahead = slot.after;
        } else if (slot) {
          // never started (its child was replaced): run it afresh, unless the run was stopped
          if (halted()) break;
          i = slot.i;
          opened = openEpisode(i);
        } else {
          if (next >= episodes.length || halted()) break;
          i = next++;
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
            startEpisode(child, rec, commandFor(i));
            ahead = claimAhead(child);
          }
          const c = child as RunnerProcess;
          if (ahead) queueAhead(c, rec, ahead);
          const { result, reuse } = await superviseEpisode(c, rec, req.limits, inner.signal);
          results[i] = result;
          ended(result);
          if (ahead && !ahead.opened) {
            // Its command was sent but never started: this child holds it, so it serves no other
            // episode; that one runs afresh on a new child.
            c.cancelQueued();
            if (reuse) await c.kill();
            untrack();
            child = null;
          } else if (!reuse && !ahead) {
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
