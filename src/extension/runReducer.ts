// What one engine event does to a run: a pure function from (state, event) to the next state and the
// effects to carry out, described as data. RunController does the effects (panels, progress, Output);
// keeping the decisions here lets them be tested without VS Code.
import type { EngineEvent } from '../shared/engineEvents';
import { FAILURE_END_REASONS } from '../core/traceFormat';
import { SAVED_NOTICE } from './calibrationResult';
import type { EpisodeFailure } from './userErrors';

/** what of the run's spec the reduction depends on */
export interface RunReduceSpec {
  /** open a replay panel on the run's first episode and on the first flagged one */
  showReplay: boolean;
  /** the scenario's number of calibration episodes, said in progress */
  calibrationEpisodes?: number;
}

export interface RunState {
  runId: string | null;
  /** the run's planned deployment episodes */
  total: number;
  done: number;
  /** episodes flagged or stopped by the guard before a predicted crossing */
  flagged: number;
  /** of those, the ones the guard stopped (no flag) */
  predicted: number;
  /** calibration episodes finished (before the run, or a calibrate command) */
  calibrating: number;
  failures: EpisodeFailure[];
  /** warnings and notices from the engine */
  notices: string[];
  /** the trace of the first episode, followed live in a panel */
  followed: string | null;
  /** the trace of the first flagged episode, opened at its flag */
  flaggedShown: string | null;
  /** traces of the run's finished episodes, overlaid on the panels the run opened */
  finished: string[];
}

export type RunEffect =
  | { kind: 'log'; level: 'info' | 'warn'; text: string }
  | { kind: 'progress'; message: string; increment?: number }
  | { kind: 'openReplay'; trace: string; step?: number }
  /** set `traces` as the overlays of the panels on `on` */
  | { kind: 'overlay'; on: string[]; traces: string[] }
  | {
      kind: 'calibrationEpisode';
      episode: { seed: number; reason: EpisodeFailure['reason']; steps: number; finalScore: number };
    }
  | { kind: 'calibrationTotal'; total: number }
  /** the engine saved a calibration file (path as printed, relative to the run's folder) */
  | { kind: 'calibrationSaved'; file: string }
  /** live panels on this trace (or this episode's trace) re-read it */
  | { kind: 'traceChanged'; trace?: string; episodeId?: string };

export function initialRunState(): RunState {
  return {
    runId: null,
    total: 0,
    done: 0,
    flagged: 0,
    predicted: 0,
    calibrating: 0,
    failures: [],
    notices: [],
    followed: null,
    flaggedShown: null,
    finished: [],
  };
}

export function reduceRun(spec: RunReduceSpec, s: RunState, e: EngineEvent): { state: RunState; effects: RunEffect[] } {
  const effects: RunEffect[] = [];
  let next: RunState = s;
  switch (e.type) {
    case 'run_start':
      next = { ...s, runId: e.runId, total: e.episodes };
      effects.push(
        {
          kind: 'log',
          level: 'info',
          text: `run ${e.runId}: ${e.scenario} / ${e.agent}, ${e.episodes} ${e.distribution} episodes -> ${e.dir}`,
        },
        { kind: 'progress', message: `0/${e.episodes} episodes` },
      );
      break;
    case 'episode_start':
      if (spec.showReplay && !s.followed) {
        next = { ...s, followed: e.trace };
        effects.push({ kind: 'openReplay', trace: e.trace });
      }
      break;
    case 'episode_end': {
      if (s.runId === null || e.runId !== s.runId) {
        // calibration episodes before the run (or a calibrate command)
        next = { ...s, calibrating: s.calibrating + 1 };
        const total = spec.calibrationEpisodes ? ` of ${spec.calibrationEpisodes}` : '';
        effects.push(
          { kind: 'progress', message: `calibrating: ${next.calibrating}${total} training episodes done` },
          {
            kind: 'calibrationEpisode',
            episode: { seed: e.seed, reason: e.reason, steps: e.steps, finalScore: e.finalScore },
          },
        );
      } else {
        const stopped = e.flaggedStep === null && e.reason === 'predicted_stop';
        const flagged = s.flagged + (e.flaggedStep !== null || stopped ? 1 : 0);
        const predicted = s.predicted + (stopped ? 1 : 0);
        next = { ...s, done: s.done + 1, flagged, predicted };
        effects.push({
          kind: 'progress',
          message: `${next.done}/${s.total} episodes, ${flagged} flagged`,
          increment: s.total ? 100 / s.total : undefined,
        });
        if (spec.showReplay && (e.flaggedStep !== null || stopped) && !s.flaggedShown) {
          next.flaggedShown = e.trace;
          // a predicted stop opens at the step whose action the guard did not take
          effects.push({ kind: 'openReplay', trace: e.trace, step: e.flaggedStep ?? e.prediction?.step ?? e.steps });
        }
        if (spec.showReplay) {
          next.finished = [...s.finished, e.trace];
          const on = [next.followed, next.flaggedShown].filter((f): f is string => f !== null);
          effects.push({ kind: 'overlay', on, traces: next.finished });
        }
      }
      if (FAILURE_END_REASONS.has(e.reason)) {
        if (next === s) next = { ...s };
        next.failures = [...s.failures, { seed: e.seed, reason: e.reason, error: e.error, trace: e.trace }];
      }
      break;
    }
    case 'log':
      effects.push({
        kind: 'log',
        level: 'info',
        text: `[${e.episodeId ?? 'runner'} ${e.stream}] ${e.text.replace(/\n$/, '')}`,
      });
      break;
    case 'warning': {
      next = { ...s, notices: [...s.notices, e.message] };
      effects.push({ kind: 'log', level: 'warn', text: e.message }, { kind: 'progress', message: e.message });
      const planned = /calibrating on (\d+) training episodes/.exec(e.message);
      if (planned) effects.push({ kind: 'calibrationTotal', total: Number(planned[1]) });
      const saved = SAVED_NOTICE.exec(e.message);
      if (saved) effects.push({ kind: 'calibrationSaved', file: saved[1] });
      break;
    }
    case 'run_end':
      effects.push({
        kind: 'log',
        level: 'info',
        text: `run ${e.runId}: ${e.flagged} of ${e.episodes} episodes flagged${e.predicted ? `, ${e.predicted} by the guard's prediction` : ''}`,
      });
      break;
    case 'steps':
    case 'flag':
    case 'scene_problem':
      break;
  }
  const trace = 'trace' in e ? e.trace : undefined;
  const episodeId = 'episodeId' in e && e.episodeId ? e.episodeId : undefined;
  if (trace || episodeId) effects.push({ kind: 'traceChanged', trace, episodeId });
  return { state: next, effects };
}
