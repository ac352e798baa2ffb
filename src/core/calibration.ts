// Split-conformal calibration (docs/detectors.md). The first floor(N/2) episodes fit a per-step mean/sd
// model; on each of the other n episodes the monitor (the same code that runs in deployment) gives
// the episode's most extreme statistic; h is the k-th most extreme, k = floor(alpha (n+1)). A new
// episode exchangeable with the held-out ones then alarms with probability <= k/(n+1) <= alpha.
//
// Padding: for the model and the band an episode shorter than maxSteps holds its last S (increments
// 0 after the end). The held-out extremes are taken over each episode's own steps only, which is
// exactly what a deployment episode of that length is monitored over.
//
// sd floor: a step where every fit episode agrees (sd 0: a deterministic start, or all episodes
// ended) would make z infinite. The floor is max(1e-3 x the median positive sd, 1e-9 x (1 + median
// |mean|)): small enough that a deviation at a deterministic step stands out strongly, large enough
// to keep z finite and to stay above the rounding noise of the values themselves.

import type { CalibrationFile, DetectorCalibration, StepModel } from './calibrationTypes';
import { CusumMonitor, EnvelopeMonitor, type Monitor, WindowMonitor } from './detectors';
import { DEFAULT_CUSUM_K, DEFAULT_WINDOW } from './detectorConfig';

export interface CalibrateInput {
  /** increments per calibration episode, in seed order */
  episodes: Float64Array[];
  maxSteps: number;
  alpha: number;
  window?: number;
  k?: number;
}

export type CalibrationResult = Pick<CalibrationFile, 'alpha' | 'fitEpisodes' | 'conformalEpisodes' | 'band' | 'detectors' | 'warnings'>;

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

function fmt(x: number): string {
  return Number(x.toPrecision(2)).toString();
}

/** Running sums padded to maxSteps: S_t holds its last value after the episode ends. */
function paddedScores(incs: Float64Array, maxSteps: number): Float64Array {
  const out = new Float64Array(maxSteps);
  const len = Math.min(incs.length, maxSteps);
  let s = 0;
  for (let t = 0; t < len; t++) out[t] = s += incs[t];
  for (let t = len; t < maxSteps; t++) out[t] = s;
  return out;
}

function sdFloor(sd: Float64Array, mean: Float64Array): number {
  const pos = Array.from(sd).filter((x) => x > 0).sort((a, b) => a - b);
  const typicalSd = pos.length ? pos[pos.length >> 1] : 0;
  const absMeans = Array.from(mean, Math.abs).sort((a, b) => a - b);
  const typicalMean = absMeans.length ? absMeans[absMeans.length >> 1] : 0;
  return Math.max(1e-3 * typicalSd, 1e-9 * (1 + typicalMean));
}

/** Per-step mean and sample sd of series[e][t], with the sd floor applied. */
function fitModel(series: Float64Array[], maxSteps: number): StepModel {
  const n = series.length;
  const mean = new Float64Array(maxSteps);
  const sd = new Float64Array(maxSteps);
  for (let t = 0; t < maxSteps; t++) {
    let m = 0;
    for (let e = 0; e < n; e++) m += series[e][t];
    m /= n;
    let v = 0;
    for (let e = 0; e < n; e++) { const d = series[e][t] - m; v += d * d; }
    mean[t] = m;
    sd[t] = n > 1 ? Math.sqrt(v / (n - 1)) : 0;
  }
  const floor = sdFloor(sd, mean);
  for (let t = 0; t < maxSteps; t++) if (!(sd[t] >= floor)) sd[t] = floor;
  return { mean: Array.from(mean), sd: Array.from(sd) };
}

/** The monitor's most extreme statistic over an episode's own steps. */
function extreme(monitor: Monitor, incs: Float64Array, maxSteps: number, lowIsExtreme: boolean): number {
  monitor.reset();
  const len = Math.min(incs.length, maxSteps);
  let ext = lowIsExtreme ? Infinity : 0;
  for (let t = 0; t < len; t++) {
    monitor.push(incs[t]);
    const s = monitor.statistic;
    if (lowIsExtreme ? s < ext : s > ext) ext = s;
  }
  return ext;
}

function calibrateDetector(
  kind: DetectorCalibration['kind'], params: DetectorCalibration['params'], model: StepModel,
  heldOut: Float64Array[], maxSteps: number, alpha: number,
): DetectorCalibration {
  const n = heldOut.length;
  let k = conformalRank(alpha, n);
  const guaranteed = k >= 1;
  if (!guaranteed) k = 1;
  const cal: DetectorCalibration = { kind, params, model, h: 0, k, n, bound: k / (n + 1), guaranteed };
  const monitor: Monitor =
    kind === 'envelope' ? new EnvelopeMonitor(cal)
      : kind === 'window' ? new WindowMonitor(cal, params.window!)
        : new CusumMonitor(cal, params.k!);
  const low = kind !== 'cusum';
  const ext = Float64Array.from(heldOut, (incs) => extreme(monitor, incs, maxSteps, low));
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
    throw new Error(`the calibration file does not hold the held-out statistics needed to change alpha; run calibrate again with alpha ${alpha}`);
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
    warnings: tooFewWarning(alpha, cal.conformalEpisodes),
  };
}

function tooFewWarning(alpha: number, n: number): string[] {
  if (conformalRank(alpha, n) >= 1) return [];
  const need = heldOutNeeded(alpha);
  return [
    `need at least ${need} held-out episodes (${episodesNeeded(need)} calibration episodes) for alpha ${alpha}; ` +
      `have ${n} — the false-alarm bound is 1/${n + 1} = ${fmt(1 / (n + 1))}`,
  ];
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function band(scores: Float64Array[], maxSteps: number, longest: number): CalibrationFile['band'] {
  const p05: number[] = new Array(maxSteps);
  const p50: number[] = new Array(maxSteps);
  const p95: number[] = new Array(maxSteps);
  const col = new Float64Array(scores.length);
  const until = Math.min(maxSteps, Math.max(1, longest));
  for (let t = 0; t < until; t++) {
    for (let e = 0; e < scores.length; e++) col[e] = scores[e][t];
    col.sort();
    p05[t] = quantile(col, 0.05);
    p50[t] = quantile(col, 0.5);
    p95[t] = quantile(col, 0.95);
  }
  // every episode has ended: S is constant from here on
  for (let t = until; t < maxSteps; t++) { p05[t] = p05[until - 1]; p50[t] = p50[until - 1]; p95[t] = p95[until - 1]; }
  return { p05, p50, p95 };
}

export function calibrate(input: CalibrateInput): CalibrationResult {
  const { episodes, maxSteps, alpha } = input;
  const window = input.window ?? DEFAULT_WINDOW;
  const k = input.k ?? DEFAULT_CUSUM_K;
  if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be between 0 and 1 (exclusive), got ${alpha}`);
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new Error(`maxSteps must be a positive integer, got ${maxSteps}`);
  if (!Number.isInteger(window) || window < 1) throw new Error(`window must be a positive integer, got ${window}`);
  if (!Number.isFinite(k) || k < 0) throw new Error(`cusum k must be a finite number >= 0, got ${k}`);
  if (episodes.length < 2) {
    throw new Error(`calibration needs at least 2 episodes (one to fit, one held out); got ${episodes.length}`);
  }
  episodes.forEach((incs, e) => {
    for (let t = 0; t < incs.length; t++) {
      if (!Number.isFinite(incs[t])) throw new Error(`calibration episode ${e}: increment at step ${t} is not finite (${incs[t]})`);
    }
  });

  const nFit = Math.floor(episodes.length / 2);
  const fit = episodes.slice(0, nFit);
  const heldOut = episodes.slice(nFit);
  const n = heldOut.length;

  const fitS = fit.map((incs) => paddedScores(incs, maxSteps));
  const fitW = fitS.map((s) => {
    const w = new Float64Array(maxSteps);
    for (let t = 0; t < maxSteps; t++) w[t] = s[t] - (t >= window ? s[t - window] : 0);
    return w;
  });
  const fitU = fit.map((incs) => {
    const u = new Float64Array(maxSteps);
    u.set(incs.subarray(0, Math.min(incs.length, maxSteps)));
    return u;
  });

  const detectors = {
    envelope: calibrateDetector('envelope', {}, fitModel(fitS, maxSteps), heldOut, maxSteps, alpha),
    window: calibrateDetector('window', { window }, fitModel(fitW, maxSteps), heldOut, maxSteps, alpha),
    cusum: calibrateDetector('cusum', { k }, fitModel(fitU, maxSteps), heldOut, maxSteps, alpha),
  };

  const warnings = tooFewWarning(alpha, n);
  const longest = episodes.reduce((m, e) => Math.max(m, e.length), 0);
  const allS = episodes.map((incs) => paddedScores(incs, maxSteps));
  return { alpha, fitEpisodes: nFit, conformalEpisodes: n, band: band(allS, maxSteps, longest), detectors, warnings };
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
  if (cal.agent.hash !== current.agentHash) return `the agent module (${cal.agent.module}) changed since it was calibrated`;
  if (cal.environmentHash !== current.environmentHash) return 'the environment module changed since it was calibrated';
  if (cal.objectiveHash !== current.objectiveHash) {
    if (cal.objectiveHash === null) return 'the scenario now names an objective module; it was calibrated on the environment reward';
    if (current.objectiveHash === null) return 'the scenario no longer names an objective module; it was calibrated with one';
    return 'the objective module changed since it was calibrated';
  }
  if (cal.maxSteps !== current.maxSteps) return `maxSteps is now ${current.maxSteps}; it was calibrated with ${cal.maxSteps}`;
  if (cal.seeds.from !== current.seeds.from || cal.seeds.count !== current.seeds.count) {
    return `the calibration seeds are now ${current.seeds.count} from ${current.seeds.from}; it was calibrated on ${cal.seeds.count} from ${cal.seeds.from}`;
  }
  return null;
}
