// The predictive guard's settings and its predictions, as they travel on the wire (engine -> runner
// in the episode command, runner -> engine as `prediction` / `guard` records), in traces (header,
// step `lookahead`, episode_end `prediction`) and in `--json`. See docs/detectors.md#the-predictive-guard.

export interface GuardConfig {
  /** H: steps played ahead in the copy, >= 1 */
  horizon: number;
  /** N: rollouts per look-ahead, >= 1 (each reseeded when the environment copy offers reseed(seed)) */
  rollouts: number;
  /** null: the prediction is the worst rollout; q in (0, 1]: the q-quantile of the rollouts' shortfalls */
  quantile: number | null;
  /** look ahead before every k-th step (t % every === 0), >= 1 */
  every: number;
  /** look ahead only when the current margin S_{t-1} - threshold_{t-1} is below this level; null: always */
  below: number | null;
  /** wall-clock budget for one look-ahead (all rollouts), ms; the rollouts stop there (the prediction says `truncated`) */
  budgetMs: number | null;
  /** how far calibration moved the detector's h (native units, >= 0, less sensitive) so that reactive
   *  and predictive flags together keep the false-alarm bound; already applied to the calibration the
   *  run uses, so the guard fires when a predicted step alarms (S < threshold). 0 without calibration */
  margin: number;
  /** 'all': every look-ahead is recorded on the next step record (`lookahead`); 'fired': only the one that fired */
  record: 'fired' | 'all';
  /** calibration only: never fire; the runner reports the episode's most extreme predicted statistic */
  measure?: boolean;
}

/** predicted steps in one look-ahead at most (a bigger horizon is refused) */
export const MAX_HORIZON = 10_000;

export const DEFAULT_GUARD: GuardConfig = {
  horizon: 10,
  rollouts: 1,
  quantile: null,
  every: 1,
  below: null,
  budgetMs: null,
  margin: 0,
  record: 'fired',
};

/** A look-ahead made before the action of `step`, as the engine recomputed it from the predicted increments. */
export interface GuardPrediction {
  /** the step whose action the look-ahead ran before */
  step: number;
  horizon: number;
  rollouts: number;
  /** true: the environment copy has no reseed(seed), so the prediction replays the simulator exactly */
  replay: boolean;
  fired: boolean;
  /** first predicted step whose running objective is below its threshold; null if none */
  crossingStep: number | null;
  /** the predicted running objective at the crossing step (or at the end of the predicted path) */
  predictedScore: number;
  margin: number;
  /** the chosen rollout's predicted increments, running objective and threshold for steps step, step+1, ... */
  increments: number[];
  scores: number[];
  thresholds: (number | null)[];
  /** the time budget cut the look-ahead short */
  truncated?: boolean;
}

/** The guard's state in an episode: on (with how its copies are made), or off and why. The runner
 *  says it once at the start of each guarded episode, and again if the copies stop being trusted. */
export interface GuardNotice {
  status: 'on' | 'unavailable' | 'corrupted' | 'failed';
  message: string;
  /** the module file concerned, when one is */
  module?: string;
  /** on: the environment copy has no reseed(seed): every prediction replays the simulator exactly */
  replay?: boolean;
  /** on: how the agent and objective copies are made: their clone(), or a fresh instance from the
   *  factory (exact only when act / increment depend on the transition alone) */
  copies?: { agent: 'clone' | 'factory'; objective: 'clone' | 'factory' | null };
}

// What a calibration file keeps of the guard's calibration (calibrationTypes.ts refers to it: kept
// here, with the guard's other types, so the two files do not import each other).
export type CalibratedKind = 'envelope' | 'window' | 'cusum';

/** The look-ahead settings that change what the guard predicts (the margin is calibrated, recording is not). */
export type GuardSettings = Pick<GuardConfig, 'horizon' | 'rollouts' | 'quantile' | 'every' | 'below' | 'budgetMs'>;

export interface GuardDetectorCalibration {
  /** the detector parameters it was measured with (window w, cusum k) */
  params: { window?: number; k?: number };
  /** per held-out episode in seed order: [e_j its extreme statistic, p_j its predictions' extreme or null] */
  pairs: [number, number | null][];
  /** the margin at the calibration's alpha */
  margin: number;
}
export interface GuardCalibration {
  settings: GuardSettings;
  /** the held-out seeds it was measured on */
  seeds: { from: number; count: number };
  detectors: Partial<Record<CalibratedKind, GuardDetectorCalibration>>;
}
