// Shape checks for one parsed trace record against traceFormat.ts. Each returns null when the value
// is valid, else a message naming the field and what was expected. Unknown extra fields are allowed
// (a newer writer may add optional fields); missing or mistyped required fields are not.
//
// Numbers: step, increment, score, statistic and threshold must be finite. JSON cannot carry
// Infinity or NaN (JSON.stringify writes null), and `1e999` parses to Infinity, so a finite check
// is what tells a valid record from a damaged one. The engine's detectors never produce non-finite
// statistics (see detectors.ts: standard deviations have a floor), so null is not allowed either.
// One exception: a threshold of -Infinity ("never alarm", used while calibrating with a fixed
// detector) is written by JSON.stringify as null; `threshold: null` is accepted and the reader
// restores -Infinity (normalizeRecord), for step records and for a fixed detector in the header.

import { END_REASONS, TRACE_VERSION } from './traceFormat';

type Obj = Record<string, unknown>;

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `a string "${v.slice(0, 40)}…"` : `"${v}"`;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : `non-finite ${v}`;
  return typeof v === 'object' ? 'an object' : String(v);
}

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function need(o: Obj, key: string, ok: (v: unknown) => boolean, what: string, where: string): string | null {
  if (!(key in o)) return `${where}: missing field '${key}' (${what})`;
  const v = o[key];
  return ok(v) ? null : `${where}: field '${key}' must be ${what}, got ${describe(v)}`;
}

function optional(o: Obj, key: string, ok: (v: unknown) => boolean, what: string, where: string): string | null {
  if (!(key in o) || o[key] === undefined) return null;
  return ok(o[key]) ? null : `${where}: field '${key}' must be ${what}, got ${describe(o[key])}`;
}

function first(...checks: (() => string | null)[]): string | null {
  for (const c of checks) {
    const m = c();
    if (m !== null) return m;
  }
  return null;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

/** DetectorConfig; shared with the scenario validator's messages. */
export function checkDetectorConfig(v: unknown, where: string, allowNullThreshold = false): string | null {
  if (!isObject(v)) return `${where} must be an object like {"kind": "envelope"}, got ${describe(v)}`;
  switch (v.kind) {
    case 'envelope':
      return null;
    case 'window':
      return need(
        v,
        'window',
        (x) => typeof x === 'number' && Number.isInteger(x) && x >= 1,
        'a positive integer (the number of increments summed)',
        where,
      );
    case 'cusum':
      return need(
        v,
        'k',
        (x) => isFiniteNum(x) && x >= 0,
        'a finite number >= 0 (the allowance in standard deviations)',
        where,
      );
    case 'fixed':
      return need(
        v,
        'threshold',
        (x) => isFiniteNum(x) || (allowNullThreshold && x === null),
        'a finite number (the running-objective level)',
        where,
      );
    default:
      return `${where}: field 'kind' must be one of "envelope", "window", "cusum", "fixed", got ${describe(v.kind)}`;
  }
}

export function checkProtocol(v: unknown, where: string): string | null {
  if (v === 'stop' || v === 'flag-only') return null;
  if (isObject(v) && 'fallback' in v) return null;
  return `${where} must be "stop", "flag-only" or {"fallback": <action>}, got ${describe(v)}`;
}

/** Light check only: the panel validates every shape before drawing. */
function checkScene(v: unknown, where: string): string | null {
  if (!isObject(v)) return `${where}: field 'scene' must be an object, got ${describe(v)}`;
  if (!isFiniteNum(v.width) || !isFiniteNum(v.height)) return `${where}: scene needs finite 'width' and 'height'`;
  if (!Array.isArray(v.shapes)) return `${where}: scene needs a 'shapes' array`;
  return null;
}

function checkModuleInfo(v: unknown, where: string, named: boolean): string | null {
  if (!isObject(v)) return `${where} must be an object, got ${describe(v)}`;
  return first(
    () => need(v, 'module', isString, 'a string', where),
    () => need(v, 'options', isObject, 'an object', where),
    () => optional(v, 'hash', isString, 'a string', where),
    () => (named ? need(v, 'name', isString, 'a string', where) : null),
  );
}

export function checkHeader(o: Obj): string | null {
  const w = 'header';
  if (o.version !== TRACE_VERSION && isFiniteNum(o.version)) {
    return `header: unsupported trace version ${o.version} (this reader knows version ${TRACE_VERSION})`;
  }
  return first(
    () => need(o, 'version', isFiniteNum, 'a number', w),
    () => need(o, 'runId', isString, 'a string', w),
    () => need(o, 'episodeId', isString, 'a string', w),
    () => need(o, 'scenario', isObject, 'an object', w),
    () => {
      const s = o.scenario as Obj;
      return first(
        () => need(s, 'name', isString, 'a string', 'header.scenario'),
        () => need(s, 'file', isString, 'a string', 'header.scenario'),
        () => need(s, 'hash', isString, 'a string', 'header.scenario'),
      );
    },
    () => checkModuleInfo(o.agent, 'header.agent', true),
    () => checkModuleInfo(o.environment, 'header.environment', false),
    () => need(o, 'objective', (x) => x === null || isObject(x), 'an object or null', w),
    () => (o.objective === null ? null : checkModuleInfo(o.objective, 'header.objective', false)),
    () => need(o, 'seed', (x) => typeof x === 'number' && Number.isInteger(x), 'an integer', w),
    () => need(o, 'distribution', (x) => x === 'calibration' || x === 'deployment', '"calibration" or "deployment"', w),
    () => need(o, 'maxSteps', (x) => typeof x === 'number' && Number.isInteger(x) && x >= 1, 'a positive integer', w),
    () => need(o, 'recording', (x) => x === 'full' || x === 'scores', '"full" or "scores"', w),
    () => ('protocol' in o ? checkProtocol(o.protocol, 'header.protocol') : `${w}: missing field 'protocol'`),
    () =>
      'detector' in o ? checkDetectorConfig(o.detector, 'header.detector', true) : `${w}: missing field 'detector'`,
    () => need(o, 'calibration', (x) => x === null || isObject(x), 'an object or null', w),
    () => {
      if (o.calibration === null) return null;
      const c = o.calibration as Obj;
      const cw = 'header.calibration';
      return first(
        () => need(c, 'file', isString, 'a string', cw),
        () => need(c, 'hash', isString, 'a string', cw),
        () => need(c, 'alpha', (x) => isFiniteNum(x) && x > 0 && x < 1, 'a number in (0, 1)', cw),
        () => need(c, 'computedAt', isString, 'a string', cw),
      );
    },
    () => need(o, 'startedAt', isString, 'a string', w),
    () => {
      if (!('forkOf' in o)) return null;
      if (!isObject(o.forkOf)) return `${w}: field 'forkOf' must be an object { trace, step }`;
      const f = o.forkOf as Obj;
      return first(
        () => need(f, 'trace', isString, 'a string', 'header.forkOf'),
        () => need(f, 'step', (x) => Number.isInteger(x) && (x as number) >= 0, 'a whole number >= 0', 'header.forkOf'),
      );
    },
  );
}

const isUserError = (x: unknown) => isObject(x) && typeof x.message === 'string';

export function checkReset(o: Obj): string | null {
  return (
    optional(o, 'scene', isObject, 'an object', 'reset') ??
    ('scene' in o && o.scene !== undefined ? checkScene(o.scene, 'reset') : null) ??
    optional(o, 'sceneProblem', isUserError, "an object with a string 'message'", 'reset')
  );
}

export function checkStep(o: Obj): string | null {
  const w = 'step';
  const finite = 'a finite number';
  return first(
    () => need(o, 'step', isIndex, 'an integer >= 0', w),
    () => need(o, 'increment', isFiniteNum, finite, w),
    () => need(o, 'score', isFiniteNum, finite, w),
    () => need(o, 'statistic', isFiniteNum, finite, w),
    () => need(o, 'threshold', (x) => isFiniteNum(x) || x === null, `${finite} (or null for -Infinity)`, w),
    () => need(o, 'flag', isBool, 'true or false', w),
    () => optional(o, 'reward', isFiniteNum, finite, w),
    () => optional(o, 'terminated', isBool, 'true or false', w),
    () => optional(o, 'truncated', isBool, 'true or false', w),
    () => optional(o, 'fallback', isBool, 'true or false', w),
    () => ('scene' in o && o.scene !== undefined ? checkScene(o.scene, w) : null),
    () => optional(o, 'sceneProblem', isUserError, "an object with a string 'message'", w),
  );
}

export function checkEnd(o: Obj): string | null {
  const w = 'episode_end';
  return first(
    () =>
      need(
        o,
        'reason',
        (x) => typeof x === 'string' && (END_REASONS as readonly string[]).includes(x),
        `one of ${END_REASONS.join(', ')}`,
        w,
      ),
    () => need(o, 'steps', isIndex, 'an integer >= 0', w),
    () => need(o, 'score', isFiniteNum, 'a finite number', w),
    () => need(o, 'flaggedStep', (x) => x === null || isIndex(x), 'an integer >= 0 or null', w),
    () => need(o, 'durationMs', (x) => isFiniteNum(x) && x >= 0, 'a finite number >= 0', w),
    () =>
      optional(o, 'error', (x) => isObject(x) && typeof x.message === 'string', "an object with a string 'message'", w),
    () => optional(o, 'detail', isObject, 'an object', w),
    () => optional(o, 'sceneProblem', isUserError, "an object with a string 'message'", w),
    () =>
      optional(
        o,
        'beyondTraining',
        (x) => isObject(x) && isIndex(x.fromStep) && isIndex(x.steps),
        "an object with integers 'fromStep' and 'steps'",
        w,
      ),
  );
}

/** Restores what JSON could not carry: a null threshold means -Infinity (never alarms). */
export function normalizeRecord(o: Obj): void {
  if (o.type === 'step' && o.threshold === null) o.threshold = -Infinity;
  if (o.type === 'header' && isObject(o.detector) && o.detector.kind === 'fixed' && o.detector.threshold === null) {
    o.detector.threshold = -Infinity;
  }
}
