// The engine's event stream: what a run reports as it goes. The CLI prints from it; the VS Code
// extension reads it as JSON lines from the engine child (`objective-monitor engine --events`).
// Events stay off the per-step path: step data arrives in batches.

import type { EndReason, UserError } from '../core/traceFormat';
import type { GuardNotice, GuardPrediction } from '../core/guardTypes';

export type EngineEvent =
  | {
      type: 'run_start';
      runId: string;
      dir: string;
      scenario: string;
      agent: string;
      distribution: string;
      episodes: number;
    }
  | { type: 'episode_start'; runId: string; episodeId: string; seed: number; trace: string }
  /** a batch of steps: increments and running objective from step `from` on */
  | { type: 'steps'; episodeId: string; from: number; scores: number[]; thresholds: number[] }
  | { type: 'flag'; episodeId: string; step: number; score: number; threshold: number }
  /** the guard's look-ahead fired before the action of `prediction.step` */
  | { type: 'prediction'; episodeId: string; prediction: GuardPrediction }
  /** the guard is on in an episode (and how its copies are made), or off and why */
  | { type: 'guard'; episodeId: string; notice: GuardNotice }
  | {
      type: 'episode_end';
      runId: string;
      episodeId: string;
      seed: number;
      steps: number;
      finalScore: number;
      flaggedStep: number | null;
      reason: EndReason;
      trace: string;
      error?: UserError;
      prediction?: GuardPrediction;
    }
  | { type: 'log'; episodeId: string | null; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'warning'; message: string }
  /** render() threw or returned something unusable in this episode (once per episode); the episode goes on without scenes */
  | { type: 'scene_problem'; episodeId: string; problem: UserError }
  /** flagged: episodes with a flag or stopped by the guard before a predicted crossing; predicted: the latter */
  | { type: 'run_end'; runId: string; episodes: number; flagged: number; predicted: number };
