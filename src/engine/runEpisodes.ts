// A run: seeds spread over a pool of runner children (one per core by default, reused across
// episodes, replaced when one crashed, hung or misbehaved), one trace per episode, events as it goes,
// results in seed order.
import os from 'node:os';
import path from 'node:path';
import { createMonitor } from '../core/detectors';
import type { EngineEvent } from '../shared/engineEvents';
import { EpisodeRecorder } from './episodeRecorder';
import { planEpisodes } from './episodePlan';
import { hostShutdownAcquire, hostShutdownRelease, track } from './hostShutdown';
import { episodeIdFor, makeRunId, tracePath } from './paths';
import { RunnerProcess } from './runnerProcess';
import { cleanStaleRunners } from './staleRunners';
import { superviseEpisode } from './superviseEpisode';
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
  const workers = Math.max(1, Math.min(req.workers ?? (os.availableParallelism?.() ?? os.cpus().length), episodes.length));
  emit({ type: 'run_start', runId, dir, scenario: req.scenario.spec.name, agent: req.agent.name, distribution: req.distribution, episodes: episodes.length });

  let next = 0;
  const spawnRunner = (running: { episodeId: string | null }): RunnerProcess =>
    new RunnerProcess({
      runtime: plan.runtime,
      python: req.python,
      memoryLimitMb: req.limits.memoryLimitMb,
      cwd: req.scenario.dir,
      onLog: (stream, text) => emit({ type: 'log', episodeId: running.episodeId, stream, text }),
    });

  const worker = async (): Promise<void> => {
    let child: RunnerProcess | null = null;
    let untrack: () => void = () => {};
    // the episode the worker's child is running, for attributing its output
    const running = { episodeId: null as string | null };
    try {
      while (next < episodes.length && !req.signal?.aborted) {
        const i = next++;
        const ep = episodes[i];
        const rec = new EpisodeRecorder({
          runId, episodeId: ep.episodeId, seed: ep.seed, trace: ep.trace,
          header: { ...plan.header, runId, episodeId: ep.episodeId, seed: ep.seed, startedAt: new Date().toISOString() },
          recording: req.recording, protocol: req.protocol, maxSteps: plan.command.maxSteps,
          monitor: createMonitor(req.detector, req.calibration), memoryLimitMb: req.limits.memoryLimitMb, emit,
        });
        const untrackRec = track.recorder(rec);
        emit({ type: 'episode_start', runId, episodeId: ep.episodeId, seed: ep.seed, trace: ep.trace });
        try {
          if (!child || !child.alive) {
            child = spawnRunner(running);
            untrack = track.child(child);
            const problem = await child.handshake(req.limits.startupTimeoutMs);
            if (problem) {
              rec.conclude({ reason: 'crashed', detail: { message: problem, phase: 'startup', stderr: child.output.tail('stderr').slice(-2000) }, replaceChild: true });
              results[i] = rec.finish();
              await child.kill();
              untrack();
              child = null;
              continue;
            }
          }
          running.episodeId = ep.episodeId;
          const { result, reuse } = await superviseEpisode(child, rec, { ...plan.command, episodeId: ep.episodeId, seed: ep.seed }, req.limits, req.signal);
          results[i] = result;
          if (!reuse) {
            untrack();
            child = null;
          }
        } finally {
          untrackRec();
          running.episodeId = null;
        }
      }
    } finally {
      if (child) {
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
  }
  const done = results.filter((r): r is EpisodeResult => r !== undefined);
  emit({ type: 'run_end', runId, episodes: done.length, flagged: done.filter((r) => r.flaggedStep !== null).length });
  return { runId, dir, episodes: done };
}
