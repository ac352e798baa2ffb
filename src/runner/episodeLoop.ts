// One episode inside the runner: reset, then act / step / increment per step, the local monitor (so
// that `stop` halts at the exact step without a round trip to the engine), and the records.
// User methods may return promises; they are awaited only when they do, so the sync path stays fast.
import { createMonitor } from '../core/detectors';
import type { Agent, Environment, Info, Objective } from '../core/moduleApi';
import type { Scene } from '../core/scene';
import type { UserError } from '../core/traceFormat';
import { frameToScene } from './sceneFrames';
import { SCORES_BATCH, type EpisodeCommand, type RunnerRecord } from '../core/wire';
import { RecordTooLarge, sendLine, sendRecord, sendScores } from './channel';
import { episodeState } from './episodeState';
import { instantiate } from './instantiate';
import { lookBeforeAction, startGuard, type GuardState } from './guardStep';
import { LoadError } from './loadModule';
import { toUserError } from './userError';
import { withReplay } from './replayActions';
import { restoreSnapshot, SnapshotTaker } from './forkSnapshots';

/** A value user code returned breaks the module API. */
class ContractError extends Error {
  constructor(readonly userError: UserError) {
    super(userError.message);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  return typeof v;
}

/** The scene of this step, or none: a render() that throws or returns something unusable costs
 *  the scene, never the step (the episode goes on, monitored and recorded). The first problem of
 *  the episode is kept in `problems` and recorded once, on the record where it happened. */
function renderScene(
  render: () => unknown,
  file: string,
  step: number,
  problems: { first: UserError | null; sent: boolean },
): Scene | undefined {
  let r;
  try {
    const v = render();
    if (isThenable(v)) throw new Error('render() returned a promise; render() must return its frame synchronously');
    r = frameToScene(v);
  } catch (e) {
    if (!problems.first) {
      const u = toUserError(e, 'render');
      problems.first = {
        ...u,
        message: `render() threw at ${step < 0 ? 'reset' : `step ${step}`}: ${u.message}`,
        phase: 'render',
        ...(u.file ? {} : { file }),
      };
    }
    return undefined;
  }
  if ('scene' in r) return r.scene;
  problems.first ??= { message: `${r.problem} (at ${step < 0 ? 'reset' : `step ${step}`})`, file, phase: 'render' };
  return undefined;
}

const FLUSH_MS = 20;

export async function runEpisode(cmd: EpisodeCommand): Promise<void> {
  const { episodeId, seed, maxSteps } = cmd;
  episodeState.episodeId = episodeId;
  episodeState.phase = 'load';
  const scoresOnly = cmd.recording === 'scores';
  const buf = new Float64Array(scoresOnly ? SCORES_BATCH : 0);
  let n = 0;
  let from = 0;
  let lastFlush = performance.now();
  /** Sends the batch; `then` (the record that ends the episode) goes in the same write when there
   *  is a batch. sendScores throws before writing anything when `then` is too large. */
  const flush = (then?: RunnerRecord): void => {
    if (n > 0) {
      sendScores(from, buf, n, then);
      from += n;
      n = 0;
    } else if (then) sendRecord(then);
    lastFlush = performance.now();
  };
  episodeState.flush = flush;
  let envFile: string;
  let objFile = '';
  try {
    if (!('module' in cmd.environment)) {
      throw new LoadError({
        message: `Gymnasium environment "${cmd.environment.gymnasium}" needs the Python runner`,
        phase: 'load',
      });
    }
    const envMod = instantiate<Environment>(cmd.environment.module, cmd.environment.options, 'environment', [
      'reset',
      'step',
    ]);
    envFile = envMod.file;
    // a fork restoring a snapshot (forkSnapshots.ts) starts from copies of the state kept there
    const restoreAt = cmd.replay?.restore;
    const restored = restoreAt !== undefined ? restoreSnapshot(restoreAt) : null;
    const env = restored ? restored.env : envMod.instance;
    const agent = withReplay(
      instantiate<Agent>(cmd.agent.module, cmd.agent.options, 'agent', ['act']).instance,
      cmd.replay,
    );
    let objective: Objective | null = null;
    if (cmd.objective) {
      const o = instantiate<Objective>(cmd.objective.module, cmd.objective.options, 'objective', ['increment']);
      objective = restored ? restored.objective : o.instance;
      objFile = o.file;
    }
    const monitor = restored ? restored.monitor : createMonitor(cmd.detector, cmd.calibration);
    const stopAtFlag = cmd.protocol === 'stop';
    const fallback =
      typeof cmd.protocol === 'object' && cmd.protocol !== null && 'fallback' in cmd.protocol ? cmd.protocol : null;
    let useFallback = restored ? restored.useFallback : false;
    const render = !scoresOnly && typeof env.render === 'function';
    const renderCall = () => env.render!();
    const sceneProblems: { first: UserError | null; sent: boolean } = restored
      ? restored.sceneProblems
      : { first: null, sent: false };
    /** the episode's scene problem, once: on the first record written after it happened */
    const takeProblem = (): UserError | null => {
      if (!sceneProblems.first || sceneProblems.sent) return null;
      sceneProblems.sent = true;
      return sceneProblems.first;
    };

    let obs: unknown;
    let info: Info;
    if (restored) {
      obs = restored.obs;
      info = restored.info;
      episodeState.phase = 'reset';
      if (typeof agent.reset === 'function') agent.reset(seed);
      sendRecord({ t: 'restored', episodeId, step: restoreAt! });
    } else {
      episodeState.phase = 'reset';
      let rr: unknown = env.reset(seed);
      if (isThenable(rr)) rr = await rr;
      if (!rr || typeof rr !== 'object' || !('observation' in rr)) {
        throw new ContractError({
          message: `environment.reset(seed) must return { observation, info? }; got ${describe(rr)}`,
          file: envFile,
          phase: 'reset',
        });
      }
      obs = (rr as { observation: unknown }).observation;
      info = ((rr as { info?: Info }).info ?? {}) as Info;
      if (typeof agent.reset === 'function') agent.reset(seed);
      if (objective && typeof objective.reset === 'function') objective.reset();
      if (scoresOnly) {
        if (cmd.checkRender && typeof env.render === 'function') {
          episodeState.phase = 'render';
          renderScene(renderCall, envFile, -1, sceneProblems);
          episodeState.phase = 'record';
        }
        const problem = takeProblem();
        sendRecord(problem ? { t: 'reset', episodeId, sceneProblem: problem } : { t: 'reset', episodeId });
      } else {
        let scene: Scene | undefined;
        if (render) {
          episodeState.phase = 'render';
          scene = renderScene(renderCall, envFile, -1, sceneProblems);
        }
        episodeState.phase = 'record';
        const problem = takeProblem();
        sendRecord({
          t: 'reset',
          episodeId,
          observation: obs,
          info,
          ...(scene ? { scene } : {}),
          ...(problem ? { sceneProblem: problem } : {}),
        });
      }
    }

    const guard: GuardState | null = cmd.guard ? startGuard(cmd, env, envFile, agent, objective) : null;
    const harmKey = cmd.harm?.info ?? null;
    const harmSteps: number[] = restored ? restored.harmSteps : [];
    const first = restoreAt ?? 0;
    let steps = first;
    const snapshots =
      cmd.replay?.snapshots && !restored
        ? new SnapshotTaker(episodeId, cmd.replay.snapshots.every, cmd.replay.actions.length)
        : null;
    let reason: 'completed' | 'flagged_stop' | 'predicted_stop' = 'completed';
    // Clock reads are adaptive: every 16 steps while steps are fast, every step once they are slow,
    // so that a batch is flushed about every 20 ms of progress (the engine's step timeout sees it).
    let checkEvery = 16;
    let sinceCheck = 0;
    let lastCheck = lastFlush;
    for (let t = first; t < maxSteps; t++) {
      if (snapshots && t === snapshots.next)
        snapshots.take(t, { env, objective, monitor, obs, info, useFallback, sceneProblems, harmSteps });
      let action: unknown;
      if (useFallback) {
        action = fallback!.fallback;
      } else {
        episodeState.phase = 'act';
        action = agent.act(obs, info);
        if (isThenable(action)) action = await action;
        if (guard && guard.active && (monitor.flaggedStep < 0 || guard.measuring)) {
          const decision = await lookBeforeAction(guard, t, obs, info, action, monitor, scoresOnly, flush);
          if (decision === 'fired') {
            if (stopAtFlag) {
              reason = 'predicted_stop';
              break;
            }
            if (fallback) {
              useFallback = true;
              action = fallback.fallback;
            }
          }
        }
      }
      episodeState.phase = 'step';
      let sr: unknown = env.step(action);
      if (isThenable(sr)) sr = await sr;
      if (!sr || typeof sr !== 'object' || !('observation' in sr)) {
        throw new ContractError({
          message: `environment.step(action) must return { observation, reward?, terminated, truncated?, info? }; got ${describe(sr)} at step ${t}`,
          file: envFile,
          phase: 'step',
        });
      }
      const r = sr as {
        observation: unknown;
        reward?: unknown;
        terminated?: unknown;
        truncated?: unknown;
        info?: Info;
      };
      const reward = r.reward;
      if (reward !== undefined && (typeof reward !== 'number' || !Number.isFinite(reward))) {
        throw new ContractError({
          message: `environment.step returned reward ${describe(reward)} at step ${t}; expected a finite number`,
          file: envFile,
          phase: 'step',
        });
      }
      if (guard?.guard) guard.afterStep(t, r);
      const terminated = r.terminated === true;
      const truncated = r.truncated === true;
      const nextInfo: Info = (r.info ?? {}) as Info;
      if (harmKey !== null && nextInfo[harmKey]) harmSteps.push(t);
      let u: unknown;
      if (objective) {
        episodeState.phase = 'increment';
        u = objective.increment({
          step: t,
          observation: obs,
          action,
          reward: (reward as number | undefined) ?? 0,
          nextObservation: r.observation,
          info: nextInfo,
          terminated,
          truncated,
        });
        if (isThenable(u)) u = await u;
        if (typeof u !== 'number' || !Number.isFinite(u)) {
          throw new ContractError({
            message: `objective.increment returned ${describe(u)} at step ${t}; expected a finite number`,
            file: objFile,
            phase: 'increment',
          });
        }
      } else {
        u = reward;
        if (u === undefined) {
          throw new ContractError({
            message: `environment.step returned no reward at step ${t} and the scenario names no objective`,
            file: envFile,
            phase: 'step',
          });
        }
      }
      const increment = u as number;
      const flagged = monitor.flaggedStep >= 0;
      monitor.push(increment);
      const flagNow = !flagged && monitor.flaggedStep >= 0;
      if (scoresOnly) {
        buf[n++] = increment;
        if (n === SCORES_BATCH || flagNow) flush();
        else if (++sinceCheck >= checkEvery) {
          sinceCheck = 0;
          const now = performance.now();
          checkEvery = now - lastCheck > 2 ? 1 : Math.min(16, checkEvery * 2);
          lastCheck = now;
          if (now - lastFlush >= FLUSH_MS) flush();
        }
      } else {
        let scene: Scene | undefined;
        if (render) {
          episodeState.phase = 'render';
          const s = renderScene(renderCall, envFile, t, sceneProblems);
          if (s) scene = { width: s.width, height: s.height, shapes: s.shapes.filter((x) => !(x && x.static)) };
        }
        episodeState.phase = 'record';
        // t, step, increment first: the engine splices the rest of this line into the trace unchanged.
        const rec: Record<string, unknown> = {
          t: 'step',
          step: t,
          increment,
          action,
          reward: (reward as number | undefined) ?? 0,
          observation: r.observation,
          info: nextInfo,
          terminated,
          truncated,
        };
        if (scene) rec.scene = scene;
        if (useFallback) rec.fallback = true;
        const problem = takeProblem();
        if (problem) rec.sceneProblem = problem;
        let line: string;
        try {
          line = JSON.stringify(rec);
        } catch (e) {
          throw new ContractError({
            message: `step ${t} cannot be recorded: ${toUserError(e, 'record').message} (observation, action and info must be JSON data)`,
            file: envFile,
            phase: 'record',
          });
        }
        sendLine(line);
      }
      steps = t + 1;
      obs = r.observation;
      info = nextInfo;
      if (flagNow) {
        if (stopAtFlag) {
          reason = 'flagged_stop';
          break;
        }
        if (fallback) useFallback = true;
      }
      if (terminated || truncated) break;
    }
    flush({
      t: 'end',
      episodeId,
      reason,
      steps,
      ...(guard?.measuring ? { guardExtreme: guard.extreme() } : {}),
      ...(harmKey !== null ? { harmSteps } : {}),
    });
  } catch (e) {
    let error: UserError;
    if (e instanceof LoadError || e instanceof ContractError) error = e.userError;
    else if (e instanceof RecordTooLarge) error = { message: e.message, phase: episodeState.phase };
    else error = toUserError(e, episodeState.phase);
    flush({ t: 'error', episodeId, error });
  } finally {
    episodeState.episodeId = null;
    episodeState.phase = 'idle';
    episodeState.flush = () => {};
  }
}
