// Split-conformal calibration (docs/detectors.md). The first floor(N/2) episodes fit a per-step mean/sd
// model; on each of the other n episodes the monitor (the same code that runs in deployment) gives
// the episode's most extreme statistic; h is the k-th most extreme, k = floor(alpha (n+1)). A new
// episode exchangeable with the held-out ones then alarms with probability <= k/(n+1) <= alpha.
//
// Ended episodes: the model at step t is fitted on the fit episodes still running at t (an episode
// that ended is not "an episode that made no progress"), up to the longest of them, L steps; past L
// each detector extrapolates the tail of training (see `tailOf` and README, design notes). Where
// fewer than `sparseNeed` fit episodes were still running, the calibration says so in its warnings.
// The held-out extremes are taken over each episode's own steps only, which is exactly what a
// deployment episode of that length is monitored over.
//
// sd floor: a step where every fit episode agrees (sd 0: a deterministic start, or all episodes
// ended) would make z infinite. The floor is max(1e-3 x the median positive sd, 1e-9 x (1 + median
// |mean|)): small enough that a deviation at a deterministic step stands out strongly, large enough
// to keep z finite and to stay above the rounding noise of the values themselves.

import type { CalibrationFile, DetectorCalibration, StepModel } from './calibrationTypes';
import {
  CusumMonitor,
  EnvelopeMonitor,
  type Monitor,
  type MonitorColumns,
  scratchColumns,
  WindowMonitor,
} from './detectors';
import { DEFAULT_CUSUM_K, DEFAULT_WINDOW } from './detectorConfig';
import { Rng } from './rng';
import { numberText } from './numberText';

export interface CalibrateInput {
  /** increments per calibration episode, in seed order */
  episodes: Float64Array[];
  maxSteps: number;
  alpha: number;
  window?: number;
  k?: number;
}

export type CalibrationResult = Pick<
  CalibrationFile,
  | 'alpha'
  | 'fitEpisodes'
  | 'conformalEpisodes'
  | 'band'
  | 'detectors'
  | 'warnings'
  | 'episodeLengths'
  | 'longestEpisode'
  | 'sparse'
>;

/** k = floor(alpha (n+1)), guarding against alpha (n+1) landing a rounding error below an integer. */
export function conformalRank(alpha: number, n: number): number {
  const x = alpha * (n + 1);
  let k = Math.floor(x);
  if (x - k > 1 - 1e-9) k += 1;
  return Math.min(k, n);
}

/** The fewest held-out episodes that give k >= 1 for this alpha (19 for 0.05, 99 for 0.01). */
export function heldOutNeeded(alpha: number): number {
  let n = Math.max(0, Math.ceil(1 / alpha) - 3);
  while (conformalRank(alpha, n) < 1) n++;
  return n;
}

/** The fewest calibration episodes whose held-out part (N - floor(N/2)) reaches `heldOut`. */
export function episodesNeeded(heldOut: number): number {
  return Math.max(2, 2 * heldOut - 1);
}

/** Running sums over an episode's own steps (at most maxSteps). */
function runningScores(incs: Float64Array, maxSteps: number): Float64Array {
  const len = Math.min(incs.length, maxSteps);
  const out = new Float64Array(len);
  let s = 0;
  for (let t = 0; t < len; t++) out[t] = s += incs[t];
  return out;
}

function sdFloor(sd: Float64Array, mean: Float64Array): number {
  const pos = Array.from(sd)
    .filter((x) => x > 0)
    .sort((a, b) => a - b);
  const typicalSd = pos.length ? pos[pos.length >> 1] : 0;
  const absMeans = Array.from(mean, Math.abs).sort((a, b) => a - b);
  const typicalMean = absMeans.length ? absMeans[absMeans.length >> 1] : 0;
  return Math.max(1e-3 * typicalSd, 1e-9 * (1 + typicalMean));
}

/** Per-step mean and sample sd of series[e][t] over the episodes still running at t (series[e]
 *  has episode e's own length), t < steps; the raw sd before the floor comes back too. */
function fitModel(
  series: Float64Array[],
  steps: number,
): { model: StepModel; mean: Float64Array; rawSd: Float64Array; floor: number } {
  const mean = new Float64Array(steps);
  const sd = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    let m = 0;
    let n = 0;
    for (const x of series)
      if (t < x.length) {
        m += x[t];
        n++;
      }
    m = n ? m / n : 0;
    let v = 0;
    for (const x of series)
      if (t < x.length) {
        const d = x[t] - m;
        v += d * d;
      }
    mean[t] = m;
    sd[t] = n > 1 ? Math.sqrt(v / (n - 1)) : 0;
  }
  const rawSd = sd.slice();
  const floor = sdFloor(sd, mean);
  for (let t = 0; t < steps; t++) if (!(sd[t] >= floor)) sd[t] = floor;
  return { model: { mean: Array.from(mean), sd: Array.from(sd) }, mean, rawSd, floor };
}

/** The steps of training's tail that extrapolation learns from: the last half of the model
 *  (at least one step), starting no earlier than `first`. */
function tailRange(steps: number, first: number): [number, number] {
  const from = Math.max(Math.min(first, steps - 1), steps - Math.max(1, Math.floor(steps / 2)));
  return [from, steps];
}

/** Mean and sd (floored) of series[e][t] pooled over the running episodes' steps in [from, to). */
function pooled(series: Float64Array[], from: number, to: number, floor: number): { tailMean: number; tailSd: number } {
  let n = 0;
  let m = 0;
  for (const x of series)
    for (let t = from; t < to && t < x.length; t++) {
      m += x[t];
      n++;
    }
  m = n ? m / n : 0;
  let v = 0;
  for (const x of series)
    for (let t = from; t < to && t < x.length; t++) {
      const d = x[t] - m;
      v += d * d;
    }
  const sd = n > 1 ? Math.sqrt(v / (n - 1)) : 0;
  return { tailMean: m, tailSd: sd >= floor ? sd : floor };
}

/** The envelope's extrapolation: over the tail (m steps back from the last), how much the mean of
 *  S moved per step (drift) and how much its variance grew per step (growth, never negative).
 *  Before step 0, S = 0 with no spread. */
function envelopeTail(mean: Float64Array, rawSd: Float64Array): { drift: number; growth: number } {
  const last = mean.length - 1;
  const m = Math.max(1, Math.floor(mean.length / 2));
  const b = last - m;
  const meanB = b >= 0 ? mean[b] : 0;
  const varB = b >= 0 ? rawSd[b] * rawSd[b] : 0;
  const growth = (rawSd[last] * rawSd[last] - varB) / m;
  return { drift: (mean[last] - meanB) / m, growth: growth > 0 ? growth : 0 };
}

/** The monitor's most extreme statistic over an episode's own steps; `cols` is scratch of at least
 *  maxSteps per column. */
function extreme(
  monitor: Monitor,
  incs: Float64Array,
  maxSteps: number,
  lowIsExtreme: boolean,
  cols: MonitorColumns,
): number {
  monitor.reset();
  const len = Math.min(incs.length, maxSteps);
  monitor.scan(incs, 0, len, cols);
  const stats = cols.statistics;
  let ext = lowIsExtreme ? Infinity : 0;
  for (let t = 0; t < len; t++) {
    const s = stats[t];
    if (lowIsExtreme ? s < ext : s > ext) ext = s;
  }
  return ext;
}

function calibrateDetector(
  kind: DetectorCalibration['kind'],
  params: DetectorCalibration['params'],
  model: StepModel,
  heldOut: Float64Array[],
  maxSteps: number,
  alpha: number,
): DetectorCalibration {
  const n = heldOut.length;
  let k = conformalRank(alpha, n);
  const guaranteed = k >= 1;
  if (!guaranteed) k = 1;
  const cal: DetectorCalibration = { kind, params, model, h: 0, k, n, bound: k / (n + 1), guaranteed };
  const monitor: Monitor =
    kind === 'envelope'
      ? new EnvelopeMonitor(cal)
      : kind === 'window'
        ? new WindowMonitor(cal, params.window!)
        : new CusumMonitor(cal, params.k!);
  const low = kind !== 'cusum';
  const cols = scratchColumns(maxSteps);
  const ext = Float64Array.from(heldOut, (incs) => extreme(monitor, incs, maxSteps, low, cols));
  ext.sort();
  if (!low) ext.reverse();
  // Most extreme first: ascending min z (alarm z < h), descending max C (alarm C > h). An empty
  // episode has no statistic (+Infinity); it ranks least extreme, and is stored as the least extreme
  // finite value so that h stays finite (and JSON can hold it).
  const finite = Array.from(ext).filter(Number.isFinite);
  const benign = finite.length ? finite[finite.length - 1] : 0;
  cal.extremes = Array.from(ext, (x) => (Number.isFinite(x) ? x : benign));
  cal.h = cal.extremes[k - 1];
  return cal;
}

/** The same detector calibration at another alpha: k, h, bound and guaranteed from the stored extremes. */
export function detectorWithAlpha(cal: DetectorCalibration, alpha: number): DetectorCalibration {
  if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be between 0 and 1 (exclusive), got ${alpha}`);
  const ext = cal.extremes;
  if (!ext || ext.length !== cal.n) {
    throw new Error(
      `the calibration file does not hold the held-out statistics needed to change alpha; run calibrate again with alpha ${alpha}`,
    );
  }
  let k = conformalRank(alpha, cal.n);
  const guaranteed = k >= 1;
  if (!guaranteed) k = 1;
  return { ...cal, k, h: ext[k - 1], bound: k / (cal.n + 1), guaranteed };
}

/** The calibration at another alpha, without running anything; unchanged when alpha is the same. */
export function withAlpha(cal: CalibrationFile, alpha: number): CalibrationFile {
  if (alpha === cal.alpha) return cal;
  return {
    ...cal,
    alpha,
    detectors: {
      envelope: detectorWithAlpha(cal.detectors.envelope, alpha),
      window: detectorWithAlpha(cal.detectors.window, alpha),
      cusum: detectorWithAlpha(cal.detectors.cusum, alpha),
    },
    warnings: [...tooFewWarning(alpha, cal.conformalEpisodes), ...sparseWarning(cal.sparse ?? null, cal.fitEpisodes)],
  };
}

function tooFewWarning(alpha: number, n: number): string[] {
  if (conformalRank(alpha, n) >= 1) return [];
  const need = heldOutNeeded(alpha);
  return [
    `need at least ${need} held-out episodes (${episodesNeeded(need)} calibration episodes) for alpha ${alpha}; ` +
      `have ${n} — the false-alarm bound is 1/${n + 1} = ${numberText(1 / (n + 1), 2)}`,
  ];
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Quantiles of S_t over the episodes still running at t; past the longest episode S is held at
 *  the last quantiles (the panel shades that region as beyond training). */
function band(scores: Float64Array[], maxSteps: number, longest: number): CalibrationFile['band'] {
  const p05: number[] = new Array(maxSteps);
  const p50: number[] = new Array(maxSteps);
  const p95: number[] = new Array(maxSteps);
  const until = Math.min(maxSteps, Math.max(1, longest));
  const col: number[] = [];
  for (let t = 0; t < until; t++) {
    col.length = 0;
    for (const s of scores) if (t < s.length) col.push(s[t]);
    const sorted = Float64Array.from(col.length ? col : [0]).sort();
    p05[t] = quantile(sorted, 0.05);
    p50[t] = quantile(sorted, 0.5);
    p95[t] = quantile(sorted, 0.95);
  }
  for (let t = until; t < maxSteps; t++) {
    p05[t] = p05[until - 1];
    p50[t] = p50[until - 1];
    p95[t] = p95[until - 1];
  }
  return { p05, p50, p95 };
}

export function calibrate(input: CalibrateInput): CalibrationResult {
  const { episodes, maxSteps, alpha } = input;
  const window = input.window ?? DEFAULT_WINDOW;
  const k = input.k ?? DEFAULT_CUSUM_K;
  if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be between 0 and 1 (exclusive), got ${alpha}`);
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    throw new Error(`maxSteps must be a positive integer, got ${maxSteps}`);
  if (!Number.isInteger(window) || window < 1) throw new Error(`window must be a positive integer, got ${window}`);
  if (!Number.isFinite(k) || k < 0) throw new Error(`cusum k must be a finite number >= 0, got ${k}`);
  if (episodes.length < 2) {
    throw new Error(`calibration needs at least 2 episodes (one to fit, one held out); got ${episodes.length}`);
  }
  episodes.forEach((incs, e) => {
    for (let t = 0; t < incs.length; t++) {
      if (!Number.isFinite(incs[t]))
        throw new Error(`calibration episode ${e}: increment at step ${t} is not finite (${incs[t]})`);
    }
  });

  const nFit = Math.floor(episodes.length / 2);
  const fit = episodes.slice(0, nFit);
  const heldOut = episodes.slice(nFit);
  const n = heldOut.length;

  // the model runs to the longest fit episode (at least one step); past it, extrapolation
  const lengths = episodes.map((incs) => Math.min(incs.length, maxSteps));
  const steps = Math.max(1, ...lengths.slice(0, nFit));
  const fitU = fit.map((incs) => incs.subarray(0, Math.min(incs.length, maxSteps)));
  const fitS = fit.map((incs) => runningScores(incs, maxSteps));
  const fitW = fitS.map((s) => {
    const w = new Float64Array(s.length);
    for (let t = 0; t < s.length; t++) w[t] = s[t] - (t >= window ? s[t - window] : 0);
    return w;
  });

  const env = fitModel(fitS, steps);
  Object.assign(env.model, envelopeTail(env.mean, env.rawSd));
  const win = fitModel(fitW, steps);
  // full windows only, where there are any: past the end every window is full
  Object.assign(win.model, pooled(fitW, ...tailRange(steps, window - 1), win.floor));
  const cus = fitModel(fitU, steps);
  Object.assign(cus.model, pooled(fitU, ...tailRange(steps, 0), cus.floor));

  // Held-out episodes that ran to the training horizon run on, in the held-out statistics, to
  // maxSteps with their own tail: a deployment episode may, and window and CUSUM statistics taken
  // over a longer horizon reach further. Episodes that ended earlier ended by themselves.
  const longest = lengths.reduce((m, e) => Math.max(m, e), 0);
  const tails = fitU
    .filter((u) => u.length >= steps)
    .map((u) => u.subarray(u.length - Math.max(1, Math.floor(u.length / 2))));
  const extend = longest > 0 && longest < maxSteps && tails.length > 0 && tails[0].length > 0;
  const extended = heldOut.map((incs, i) =>
    extend && incs.length >= longest ? extendWithTail(incs, maxSteps, tails, nFit + i) : incs,
  );
  const detectors = {
    envelope: calibrateDetector('envelope', {}, env.model, extended, maxSteps, alpha),
    window: calibrateDetector('window', { window }, win.model, extended, maxSteps, alpha),
    cusum: calibrateDetector('cusum', { k }, cus.model, extended, maxSteps, alpha),
  };

  const warnings = tooFewWarning(alpha, n);
  const sparse = sparseFrom(lengths.slice(0, nFit), steps);
  warnings.push(...sparseWarning(sparse, nFit));
  const allS = episodes.map((incs) => runningScores(incs, maxSteps));
  return {
    alpha,
    fitEpisodes: nFit,
    conformalEpisodes: n,
    band: band(allS, maxSteps, longest),
    detectors,
    warnings,
    episodeLengths: lengths,
    longestEpisode: longest,
    sparse,
  };
}

/** The episode continued to maxSteps by a block bootstrap of training's tail: blocks of a few
 *  consecutive increments (the cube root of the tail's length, which keeps short-range dependence)
 *  from random places in the last half of random fit episodes that reached the fit horizon — the
 *  same tail the extrapolated model describes. Seeded by the episode's index: reproducible. */
function extendWithTail(incs: Float64Array, maxSteps: number, tails: Float64Array[], seed: number): Float64Array {
  const len = incs.length;
  const out = new Float64Array(maxSteps);
  out.set(incs.subarray(0, Math.min(len, maxSteps)));
  const rng = new Rng(seed);
  for (let t = len; t < maxSteps;) {
    const tail = tails[rng.u32() % tails.length];
    const b = Math.max(1, Math.min(tail.length, Math.round(Math.cbrt(tail.length))));
    const start = rng.u32() % (tail.length - b + 1);
    for (let j = 0; j < b && t < maxSteps; j++, t++) out[t] = tail[start + j];
  }
  return out;
}

function sparseWarning(sparse: { fromStep: number; need: number } | null, nFit: number): string[] {
  if (!sparse) return [];
  return [
    `from step ${sparse.fromStep} on, fewer than ${sparse.need} of the ${nFit} fitted calibration episodes were still running ` +
      '(the others had ended): the per-step model there rests on few episodes',
  ];
}

/** The first step where fewer than `need` fit episodes were still running (need: 10, or half of
 *  them when there are fewer than 20, at least 2), or null. */
export function sparseFrom(fitLengths: number[], steps: number): { fromStep: number; need: number } | null {
  const need = Math.max(2, Math.min(10, Math.ceil(fitLengths.length / 2)));
  if (fitLengths.length < need) return null; // too few episodes at all: the warning about alpha says so
  for (let t = 0; t < steps; t++) {
    let running = 0;
    for (const len of fitLengths) if (len > t) running++;
    if (running < need) return { fromStep: t, need };
  }
  return null;
}

export interface CalibrationFingerprint {
  scenarioHash: string;
  agentHash: string;
  environmentHash: string;
  objectiveHash: string | null;
  maxSteps: number;
  seeds: { from: number; count: number };
}

/** Why `cal` no longer fits what would be run now, in words; null when it still fits. */
export function staleness(cal: CalibrationFile, current: CalibrationFingerprint): string | null {
  if (cal.version !== 1) return `the calibration file is version ${cal.version}; this version reads version 1`;
  if (cal.scenario.hash !== current.scenarioHash) return 'the scenario file changed since it was calibrated';
  if (cal.agent.hash !== current.agentHash)
    return `the agent module (${cal.agent.module}) changed since it was calibrated`;
  if (cal.environmentHash !== current.environmentHash) return 'the environment module changed since it was calibrated';
  if (cal.objectiveHash !== current.objectiveHash) {
    if (cal.objectiveHash === null)
      return 'the scenario now names an objective module; it was calibrated on the environment reward';
    if (current.objectiveHash === null)
      return 'the scenario no longer names an objective module; it was calibrated with one';
    return 'the objective module changed since it was calibrated';
  }
  if (cal.maxSteps !== current.maxSteps)
    return `maxSteps is now ${current.maxSteps}; it was calibrated with ${cal.maxSteps}`;
  if (cal.seeds.from !== current.seeds.from || cal.seeds.count !== current.seeds.count) {
    return `the calibration seeds are now ${current.seeds.count} from ${current.seeds.from}; it was calibrated on ${cal.seeds.count} from ${cal.seeds.from}`;
  }
  return null;
}
