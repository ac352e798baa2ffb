// What the CLI says about the guard and harm: the prediction that fired as `--json` gives it, and
// harm counted over a run's episodes (harmful events are counted before the stop: a trace holds
// only the steps that happened).
import type { GuardPrediction } from '../core/guardTypes';
import type { EpisodeResult } from './types';

export function jsonPrediction(p: GuardPrediction) {
  return {
    step: p.step,
    horizon: p.horizon,
    rollouts: p.rollouts,
    predictedScore: p.predictedScore,
    crossingStep: p.crossingStep,
    margin: p.margin,
    replay: p.replay,
    ...(p.truncated ? { truncated: true } : {}),
  };
}

export interface HarmSummary {
  /** episodes with at least one harmful step */
  harmfulEpisodes: number;
  harmfulSteps: number;
  /** episodes stopped (flag or prediction) before their first harmful step, of those stopped at all */
  stoppedBeforeHarm: number;
  stopped: number;
}

export function harmSummary(
  episodes: Pick<EpisodeResult, 'harmSteps' | 'flaggedStep' | 'prediction' | 'reason'>[],
): HarmSummary {
  let harmfulEpisodes = 0;
  let harmfulSteps = 0;
  let stopped = 0;
  let stoppedBeforeHarm = 0;
  for (const e of episodes) {
    const h = e.harmSteps ?? [];
    if (h.length) harmfulEpisodes++;
    harmfulSteps += h.length;
    if (e.reason === 'flagged_stop' || e.reason === 'predicted_stop' || e.prediction || e.flaggedStep !== null) {
      stopped++;
      if (h.length === 0) stoppedBeforeHarm++;
    }
  }
  return { harmfulEpisodes, harmfulSteps, stoppedBeforeHarm, stopped };
}
