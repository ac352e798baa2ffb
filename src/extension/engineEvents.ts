// Validation of the engine's event stream as read from the child's stdout. The engine is our own
// code, but the line crossed a process boundary: check the shape before the UI relies on it.
import { END_REASONS } from '../core/traceFormat';
import type { EngineEvent } from '../shared/engineEvents';

const isRec = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number';
const isNumArr = (x: unknown): x is number[] => Array.isArray(x) && x.every((v) => typeof v === 'number' || v === null);

export function parseEngineEvent(line: string): EngineEvent | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isRec(v)) return null;
  switch (v.type) {
    case 'run_start':
      return isStr(v.runId) && isStr(v.dir) && isStr(v.scenario) && isStr(v.agent) && isNum(v.episodes)
        ? (v as EngineEvent)
        : null;
    case 'episode_start':
      return isStr(v.runId) && isStr(v.episodeId) && isNum(v.seed) && isStr(v.trace) ? (v as EngineEvent) : null;
    case 'steps':
      return isStr(v.episodeId) && isNum(v.from) && isNumArr(v.scores) && isNumArr(v.thresholds)
        ? (v as EngineEvent)
        : null;
    case 'flag':
      return isStr(v.episodeId) && isNum(v.step) ? (v as EngineEvent) : null;
    case 'episode_end':
      return isStr(v.runId) &&
        isStr(v.episodeId) &&
        isNum(v.steps) &&
        isStr(v.trace) &&
        (END_REASONS as readonly unknown[]).includes(v.reason) &&
        (v.flaggedStep === null || isNum(v.flaggedStep))
        ? (v as EngineEvent)
        : null;
    case 'log':
      return (v.episodeId === null || isStr(v.episodeId)) &&
        (v.stream === 'stdout' || v.stream === 'stderr') &&
        isStr(v.text)
        ? (v as EngineEvent)
        : null;
    case 'warning':
      return isStr(v.message) ? (v as EngineEvent) : null;
    case 'run_end':
      return isStr(v.runId) && isNum(v.episodes) && isNum(v.flagged) && isNum(v.predicted) ? (v as EngineEvent) : null;
    default:
      return null;
  }
}
