// The engine's programmatic face (the CLI and the extension's engine child build on it).
export { runEpisodes } from './runEpisodes';
export { hashFile, resolveModulePath, makeRunId, episodeIdFor, tracePath, isSafeComponent } from './paths';
export { repairTornTail, TraceWriter } from './traceWriter';
export { cleanStaleRunners } from './staleRunners';
export { DEFAULT_LIMITS } from './types';
export type { AgentChoice, EpisodeResult, Limits, RunRequest, RunResult } from './types';
