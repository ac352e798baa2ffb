// The engine's event stream: what a run reports as it goes. The CLI prints from it; the VS Code
// extension reads it as JSON lines from the engine child (`objective-monitor engine --events`).
// Events stay off the per-step path: step data arrives in batches.

import type { EndReason, UserError } from '../core/traceFormat';

export type EngineEvent =
  | { type: 'run_start'; runId: string; dir: string; scenario: string; agent: string; distribution: string; episodes: number }
  | { type: 'episode_start'; runId: string; episodeId: string; seed: number; trace: string }
  /** a batch of steps: increments and running objective from step `from` on */
  | { type: 'steps'; episodeId: string; from: number; scores: number[]; thresholds: number[] }
  | { type: 'flag'; episodeId: string; step: number; score: number; threshold: number }
  | { type: 'episode_end'; runId: string; episodeId: string; seed: number; steps: number; finalScore: number; flaggedStep: number | null; reason: EndReason; trace: string; error?: UserError }
  | { type: 'log'; episodeId: string | null; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'warning'; message: string }
  /** render() threw or returned something unusable in this episode (once per episode); the episode goes on without scenes */
  | { type: 'scene_problem'; episodeId: string; problem: UserError }
  | { type: 'run_end'; runId: string; episodes: number; flagged: number };
