// What the runner is doing right now, for the handlers that fire outside the episode loop
// (process.exit by user code, uncaught exceptions): which episode, which user call, and how to flush
// the scores not yet sent.
export const episodeState = {
  episodeId: null as string | null,
  /** the user call in progress: load, reset, act, step, increment, render, record */
  phase: 'idle',
  /** sends the batched increments not yet written; set by the episode loop */
  flush: (): void => {},
};
