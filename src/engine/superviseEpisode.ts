// Runs one episode on a started runner: sends the command, enforces the wall-clock limits (the
// child cannot be trusted to stop itself: a synchronous loop never yields), watches for its death,
// and decides whether the child may serve the next episode.
import type { EpisodeCommand } from '../core/wire';
import { classifyExit } from './classifyExit';
import type { EpisodeRecorder } from './episodeRecorder';
import type { RunnerProcess } from './runnerProcess';
import type { EpisodeResult, Limits } from './types';

const TICK_MS = 50;
const DRAIN_MS = 2000;

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Sends an episode's command (or its JSON text) to an idle runner and makes `rec` its sink. */
export function startEpisode(child: RunnerProcess, rec: EpisodeRecorder, cmd: EpisodeCommand | string): void {
  child.attach(rec);
  rec.lastInputAt = Date.now();
  if (!child.send(cmd))
    rec.conclude({
      reason: 'crashed',
      detail: { message: 'the runner control channel is closed' },
      replaceChild: true,
    });
}

/** Supervises an episode already started on `child` (by startEpisode, or by a hand-over from the
 *  episode before it: see RunnerProcess.queueNext) until it ends and its trace is closed. */
export async function superviseEpisode(
  child: RunnerProcess,
  rec: EpisodeRecorder,
  limits: Limits,
  signal?: AbortSignal,
): Promise<{ result: EpisodeResult; reuse: boolean }> {
  const t0 = Date.now();
  rec.lastInputAt = t0;

  const ticker = setInterval(() => {
    const now = Date.now();
    // loading modules (compiling TypeScript, importing big packages) is start-up work
    const limit = rec.started ? limits.stepTimeoutMs : Math.max(limits.stepTimeoutMs, limits.startupTimeoutMs);
    if (now - rec.lastInputAt > limit) {
      rec.conclude({
        reason: 'step_timeout',
        detail: { limitMs: limit, step: rec.stepCount, phase: rec.started ? 'step' : 'load/reset' },
        replaceChild: true,
      });
    } else if (now - t0 > limits.episodeTimeoutMs) {
      rec.conclude({
        reason: 'episode_timeout',
        detail: { limitMs: limits.episodeTimeoutMs, step: rec.stepCount },
        replaceChild: true,
      });
    }
    rec.flushEvents();
  }, TICK_MS);
  const onAbort = () => rec.conclude({ reason: 'killed_by_user', replaceChild: true });
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort);

  // A dead child's last records are still in the pipe: kill its tree (grandchildren may hold fd 3
  // open), read to end of file, and only then ask why it died.
  const stopWatch = child.onExit((info) => {
    if (rec.concluded) return;
    void (async () => {
      await child.kill(200);
      await Promise.race([child.drained, delay(DRAIN_MS)]);
      rec.conclude(classifyExit(info, child.output.tail('stderr'), limits.memoryLimitMb));
    })();
  });

  const outcome = await rec.ended;
  // concluded now: the watch would return at once, so it goes (and lets go of `rec`)
  stopWatch();
  clearInterval(ticker);
  signal?.removeEventListener('abort', onAbort);

  let reuse = !outcome.replaceChild && child.alive && !child.isBroken;
  if (reuse && !rec.runnerDone) {
    // stopped at the flag by the engine: the runner should follow with its own end record
    await Promise.race([rec.runnerDonePromise, delay(limits.stepTimeoutMs)]);
    reuse = rec.runnerDone && !outcome.replaceChild && child.alive && !child.isBroken;
  }
  const result = rec.finish();
  child.detach(rec);
  if (!reuse) await child.kill();
  return { result, reuse };
}
