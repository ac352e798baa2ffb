// Trade-off curves (docs/detectors.md#trade-off-curves): for each detector and for the predictive
// guard, detection rate and median delay against false-alarm rate, across alpha — from recorded
// episodes only. At each alpha the threshold comes from the split-conformal rule on the held-out
// calibration statistics the calibration file records (detectorWithAlpha; the guard's tau from its
// recorded (e_j, p_j) pairs, guardThreshold); recorded deployment increments (and the guard's
// recorded look-aheads) are then re-flagged with it. Nothing is run.
//
// A recording does not always decide the flag at another threshold: an episode the protocol
// stopped (or handed to a fallback) holds none of the agent's later steps, and the guard stops
// looking ahead after it fired. Such an episode is `undetermined` at a threshold where its flag
// would fall in what was not recorded; rates are over the determined episodes and say how many
// were not.

import { median } from './stats';
import type { CalibrationFile } from './calibrationTypes';
import { conformalRank, detectorWithAlpha } from './calibration';
import { createMonitor, type Monitor } from './detectors';
import type { DetectorConfig } from './detectorConfig';
import { evaluatePath } from './guard';
import { guardThreshold, type CalibratedKind } from './guardCalibration';

/** One recorded deployment episode, as the curves need it. */
export interface CurveEpisode {
  seed: number;
  /** the agent's own increments (steps a fallback took are left out) */
  increments: ArrayLike<number>;
  /** true: the episode ended by itself after these steps; false: a stop or a fallback cut the agent off */
  complete: boolean;
  /** the first step whose increment differs from the reference agent's on the same seed (for delays) */
  divergence: number | null;
  /** the guard's recorded look-aheads (guard recording every look-ahead) */
  guard?: {
    /** look-aheads made before the action of `step`, each with its predicted increments */
    lookaheads: { step: number; increments: number[] }[];
    /** every look-ahead made before this step is in `lookaheads`; later ones were not made or not kept */
    knownBefore: number;
    /** the look-ahead that fired (its increments end at the crossing it found), or null */
    fired: { step: number; increments: number[] } | null;
  };
}

/** An episode's flag at one threshold: a step, none, or not decided by what was recorded. */
export type FlagOutcome = { flagged: number | null } | { undetermined: true };

/** The first alarming step of the recorded increments; undetermined when none alarms and the
 *  episode was cut off (its later steps might have). */
export function detectorFlag(e: CurveEpisode, monitor: Monitor): FlagOutcome {
  monitor.reset();
  for (let t = 0; t < e.increments.length; t++) if (monitor.push(e.increments[t])) return { flagged: t };
  return e.complete ? { flagged: null } : { undetermined: true };
}

/** The guard's flag: the first step t whose look-ahead (before t's action) predicts an alarm, or
 *  whose own statistic alarms, whichever comes first — `monitor` holding the guard's threshold. */
export function guardFlag(e: CurveEpisode, monitor: Monitor): FlagOutcome {
  const g = e.guard;
  if (!g) return { undetermined: true };
  const at = new Map(g.lookaheads.map((l) => [l.step, l.increments]));
  monitor.reset();
  const n = e.increments.length;
  for (let t = 0; t <= n; t++) {
    if (t < g.knownBefore) {
      const incs = at.get(t);
      if (incs && evaluatePath(monitor, incs, 0).crossing >= 0) return { flagged: t };
    } else if (g.fired && g.fired.step === t) {
      // the fired path stops at the crossing it found: past it nothing was predicted
      if (evaluatePath(monitor, g.fired.increments, 0).crossing >= 0) return { flagged: t };
      return { undetermined: true };
    } else return { undetermined: true };
    if (t === n) break;
    if (monitor.push(e.increments[t])) return { flagged: t };
  }
  return e.complete ? { flagged: null } : { undetermined: true };
}

export interface Rate {
  flagged: number;
  /** episodes whose flag the recording decides at this threshold */
  determined: number;
  undetermined: number;
  /** flagged / determined; null when none is determined */
  rate: number | null;
}

export interface CurvePoint {
  /** null for a fixed threshold (it has no alpha) */
  alpha: number | null;
  /** the conformal rank and the false-alarm bound k/(n+1) it guarantees (null, 0 for a fixed threshold) */
  k: number;
  bound: number | null;
  /** the threshold on the native statistic (the guard's tau) */
  threshold: number;
  /** on the reference agent's recorded episodes; null without a reference */
  falseAlarm: Rate | null;
  /** on the agent's recorded episodes */
  detection: Rate;
  /** median of (flagged step - divergence) over detected episodes with a known divergence */
  medianDelay: number | null;
}

export type CurveName = 'envelope' | 'window' | 'cusum' | 'fixed' | 'guard';

export interface Curve {
  name: CurveName;
  /** "cusum k=0.5", "guard (cusum k=0.5)" */
  label: string;
  points: CurvePoint[];
  /** what the points' false-alarm rates are: measured on the reference agent's recorded episodes,
   *  or absent (falseAlarm null) so that the conformal bound stands in for them */
  falseAlarmFrom: 'reference' | 'bound';
  /** why there is no curve (the points are empty) */
  unavailable?: string;
}

/** What one agent's curves are computed from: its calibration and its recorded episodes. */
export interface CurveSide {
  calibration: CalibrationFile;
  episodes: CurveEpisode[];
  /** episodes with recorded look-aheads usable at any threshold (see the engine's selection) */
  guardEpisodes: CurveEpisode[];
}

export interface CurvesInput {
  alphas: number[];
  subject: CurveSide;
  reference: CurveSide | null;
  /** the fixed threshold configured, if any (one point: it has no alpha) */
  fixed: number | null;
  /** the detector the guarded episodes ran with, or why there is no guard curve */
  guard: { detector: CalibratedKind } | { unavailable: string };
}

/** alpha = k/(n+1) for every rank k = 1.. up to alpha 0.5: every threshold the held-out episodes
 *  allow (conformalRank gives back k for each). */
export function alphaGrid(n: number, max = 0.5): number[] {
  const out: number[] = [];
  for (let k = 1; k <= n && k / (n + 1) <= max; k++) out.push(k / (n + 1));
  return out;
}

function rateOf(outcomes: FlagOutcome[]): Rate {
  let flagged = 0;
  let undetermined = 0;
  for (const o of outcomes) {
    if ('undetermined' in o) undetermined++;
    else if (o.flagged !== null) flagged++;
  }
  const determined = outcomes.length - undetermined;
  return { flagged, determined, undetermined, rate: determined ? flagged / determined : null };
}

function delays(episodes: CurveEpisode[], outcomes: FlagOutcome[]): number | null {
  const d: number[] = [];
  outcomes.forEach((o, i) => {
    const div = episodes[i].divergence;
    if ('flagged' in o && o.flagged !== null && div !== null && o.flagged >= div) d.push(o.flagged - div);
  });
  return median(d);
}

function detectorConfigOf(cal: CalibrationFile, kind: CalibratedKind): DetectorConfig {
  const p = cal.detectors[kind].params;
  return kind === 'window' ? { kind, window: p.window! } : kind === 'cusum' ? { kind, k: p.k! } : { kind };
}

/** The calibration with `kind`'s threshold set for alpha (the guard's tau when `guard`). */
function calibrationAt(cal: CalibrationFile, kind: CalibratedKind, alpha: number, guard: boolean) {
  const d = detectorWithAlpha(cal.detectors[kind], alpha);
  let h = d.h;
  if (guard) {
    const g = cal.guard?.detectors[kind];
    if (!g) throw new Error(`the calibration ${cal.scenario.name} / ${cal.agent.name} has no guard margin for ${kind}`);
    h = guardThreshold(kind, d.h, d.k, g.pairs).tau;
  }
  return { cal: { ...cal, detectors: { ...cal.detectors, [kind]: { ...d, h } } }, d, h };
}

function describe(d: DetectorConfig): string {
  return d.kind === 'window' ? `window w=${d.window}` : d.kind === 'cusum' ? `cusum k=${d.k}` : d.kind;
}

function calibratedCurve(input: CurvesInput, kind: CalibratedKind, guard: boolean): Curve {
  const config = detectorConfigOf(input.subject.calibration, kind);
  const name: CurveName = guard ? 'guard' : kind;
  const label = guard ? `guard (${describe(config)})` : describe(config);
  const flag = guard ? guardFlag : detectorFlag;
  const pick = (s: CurveSide) => (guard ? s.guardEpisodes : s.episodes);
  const reference =
    input.reference &&
    pick(input.reference).length > 0 &&
    (!guard || input.reference.calibration.guard?.detectors[kind])
      ? input.reference
      : null;
  const points = input.alphas.map((alpha) => {
    const at = calibrationAt(input.subject.calibration, kind, alpha, guard);
    const eps = pick(input.subject);
    const outcomes = eps.map((e) => flag(e, createMonitor(config, at.cal)));
    let falseAlarm: Rate | null = null;
    if (reference) {
      const ref = calibrationAt(reference.calibration, kind, alpha, guard);
      const refConfig = detectorConfigOf(reference.calibration, kind);
      falseAlarm = rateOf(pick(reference).map((e) => flag(e, createMonitor(refConfig, ref.cal))));
    }
    return {
      alpha,
      k: at.d.k,
      bound: at.d.bound,
      threshold: at.h,
      falseAlarm,
      detection: rateOf(outcomes),
      medianDelay: delays(eps, outcomes),
    };
  });
  return { name, label, points, falseAlarmFrom: reference ? 'reference' : 'bound' };
}

function fixedCurve(input: CurvesInput, threshold: number): Curve {
  const config: DetectorConfig = { kind: 'fixed', threshold };
  const eps = input.subject.episodes;
  const outcomes = eps.map((e) => detectorFlag(e, createMonitor(config, null)));
  const falseAlarm = input.reference?.episodes.length
    ? rateOf(input.reference.episodes.map((e) => detectorFlag(e, createMonitor(config, null))))
    : null;
  // a fixed threshold has no alpha and no guarantee: one point, drawn at every alpha alike
  const point: CurvePoint = {
    alpha: null,
    k: 0,
    bound: null,
    threshold,
    falseAlarm,
    detection: rateOf(outcomes),
    medianDelay: delays(eps, outcomes),
  };
  return {
    name: 'fixed',
    label: `fixed ${threshold}`,
    points: [point],
    falseAlarmFrom: falseAlarm ? 'reference' : 'bound',
  };
}

/** Every curve: envelope, window, cusum, fixed (one point, when a fixed threshold is set) and the guard. */
export function tradeoffCurves(input: CurvesInput): Curve[] {
  const curves: Curve[] = (['envelope', 'window', 'cusum'] as const).map((k) => calibratedCurve(input, k, false));
  curves.push(
    input.fixed === null
      ? {
          name: 'fixed',
          label: 'fixed',
          points: [],
          falseAlarmFrom: 'bound',
          unavailable: 'no fixed threshold is set (--threshold H, or a fixed detector in the scenario)',
        }
      : fixedCurve(input, input.fixed),
  );
  if ('unavailable' in input.guard) {
    curves.push({
      name: 'guard',
      label: 'guard',
      points: [],
      falseAlarmFrom: 'bound',
      unavailable: input.guard.unavailable,
    });
  } else {
    curves.push(calibratedCurve(input, input.guard.detector, true));
  }
  return curves;
}

/** The index of the point whose threshold a setting of `alpha` gives (same conformal rank), or -1. */
export function pointForAlpha(points: CurvePoint[], alpha: number, n: number): number {
  const k = Math.max(1, conformalRank(alpha, n));
  return points.findIndex((p) => p.k === k);
}

/** One agent's curves as `report <scenario> --curves --json` prints them (test/fixtures/schemas/tradeoff-curves.schema.json). */
export interface AgentCurves {
  agent: string;
  /** whose recorded episodes the false-alarm rates are measured on; null: the bound is used */
  reference: string | null;
  falseAlarmFrom: 'reference' | 'bound';
  calibration: string;
  heldOut: number;
  episodes: number;
  guardEpisodes: number;
  /** index into each calibrated curve's points of the current alpha's threshold (-1: none) */
  current: number;
  notes: string[];
  curves: Curve[];
}
