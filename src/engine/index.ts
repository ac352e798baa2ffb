// The engine's programmatic face (the CLI and the extension's engine child build on it).
export { runEpisodes } from './runEpisodes';
export { hashFile, resolveModulePath } from './paths';
export { TraceWriter } from './traceWriter';
export { cleanStaleRunners } from './staleRunners';
