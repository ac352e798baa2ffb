// A shard's part of a calibration (issue 13): the increments of the calibration episodes of one
// contiguous slice of the seed range, exactly as recorded, and what the calibration is computed
// for. Merging the partials of all N shards runs the one `calibrate()` over the episodes in seed
// order, so the result is the single machine's computation by construction: the fit half / held-out
// half split, the per-step model on the episodes still running, the episode lengths, the tail
// extrapolation and the seeded block bootstrap of held-out continuations all see the same input.
//
// Why increments and not per-shard extremes: a held-out episode's extreme statistic depends on the
// model fitted on the first floor(N/2) episodes (other shards), and its continuation on their tails;
// no shard can compute it alone without a second round, i.e. a scheduler. Running the episodes is
// the cost that shards split; the fit over them takes well under a second per 100k steps.
//
// Increments travel as little-endian float64 in base64: bit-exact (including -0), ~11 bytes a step.

import { Buffer } from 'node:buffer';
import { calibrate, type CalibrationResult } from './calibration';

export const PARTIAL_KIND = 'objective-monitor/calibration-partial';

export interface ShardSpec {
  /** 1-based */
  index: number;
  count: number;
}

export interface CalibrationPartial {
  kind: typeof PARTIAL_KIND;
  version: 1;
  shard: ShardSpec;
  /** the whole calibration seed range, as in the calibration file */
  seeds: { from: number; count: number };
  /** this shard's contiguous slice of it */
  shardSeeds: { from: number; count: number };
  maxSteps: number;
  alpha: number;
  window: number;
  k: number;
  scenario: { name: string; file: string; hash: string; builtin: boolean };
  agent: { name: string; module: string; hash: string };
  environmentHash: string;
  objectiveHash: string | null;
  /** one per seed of the slice, in seed order */
  episodes: { seed: number; steps: number; increments: string }[];
}

/** Shard i (1-based) of n of `count` seeds from `from`: floor((i-1) count / n) .. floor(i count / n). */
export function shardSeeds(seeds: { from: number; count: number }, shard: ShardSpec): { from: number; count: number } {
  const a = Math.floor(((shard.index - 1) * seeds.count) / shard.count);
  const b = Math.floor((shard.index * seeds.count) / shard.count);
  return { from: seeds.from + a, count: b - a };
}

/** "I/N" -> { index, count }; null with the reason when it is not one. */
export function parseShard(text: string): ShardSpec | string {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return 'expected I/N, e.g. 2/4 (shard 2 of 4)';
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) return 'N must be at least 1';
  if (index < 1 || index > count) return `I must be between 1 and ${count}`;
  return { index, count };
}

export function encodeIncrements(x: Float64Array): string {
  const bytes = new Uint8Array(x.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < x.length; i++) view.setFloat64(i * 8, x[i], true);
  return Buffer.from(bytes).toString('base64');
}

export function decodeIncrements(s: string): Float64Array | null {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length % 8 !== 0 || bytes.toString('base64') !== s) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** A parsed partial or the reason in words (naming the file and the field). */
export function parsePartial(
  file: string,
  text: string,
): { ok: true; partial: CalibrationPartial; increments: Float64Array[] } | { ok: false; message: string } {
  const bad = (what: string) => ({ ok: false as const, message: `${file}: ${what}` });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return bad(`not valid JSON (${(e as Error).message}); expected a calibration partial written by calibrate --shard`);
  }
  const p = v as CalibrationPartial;
  if (!p || typeof p !== 'object' || p.kind !== PARTIAL_KIND)
    return bad(`not a calibration partial (expected "kind": "${PARTIAL_KIND}", written by calibrate --shard I/N)`);
  if (p.version !== 1) return bad(`partial version ${String(p.version)}; this version reads version 1`);
  const int = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (!p.shard || !int(p.shard.index) || !int(p.shard.count) || p.shard.index < 1 || p.shard.index > p.shard.count)
    return bad('"shard" must be { index: I, count: N } with 1 <= I <= N');
  for (const key of ['seeds', 'shardSeeds'] as const) {
    if (!p[key] || !int(p[key].from) || !int(p[key].count))
      return bad(`"${key}" must be { from, count } with whole numbers`);
  }
  if (!int(p.maxSteps) || p.maxSteps < 1) return bad('"maxSteps" must be a positive whole number');
  for (const key of ['alpha', 'window', 'k'] as const)
    if (typeof p[key] !== 'number') return bad(`"${key}" must be a number`);
  if (
    !p.scenario ||
    typeof p.scenario.hash !== 'string' ||
    !p.agent ||
    typeof p.agent.hash !== 'string' ||
    typeof p.environmentHash !== 'string'
  ) {
    return bad('"scenario", "agent" and "environmentHash" must say what was calibrated (names and hashes)');
  }
  const expected = shardSeeds(p.seeds, p.shard);
  if (p.shardSeeds.from !== expected.from || p.shardSeeds.count !== expected.count) {
    return bad(
      `shard ${p.shard.index}/${p.shard.count} of seeds ${p.seeds.from}..${p.seeds.from + p.seeds.count - 1} is seeds ${expected.from}..${expected.from + expected.count - 1}, but the file says ${p.shardSeeds.from}..${p.shardSeeds.from + p.shardSeeds.count - 1}`,
    );
  }
  if (!Array.isArray(p.episodes) || p.episodes.length !== p.shardSeeds.count) {
    return bad(
      `expected ${p.shardSeeds.count} episodes (one per seed of the shard), found ${Array.isArray(p.episodes) ? p.episodes.length : 'none'}`,
    );
  }
  const increments: Float64Array[] = [];
  for (let i = 0; i < p.episodes.length; i++) {
    const e = p.episodes[i];
    if (!e || e.seed !== p.shardSeeds.from + i) return bad(`episodes[${i}]: expected seed ${p.shardSeeds.from + i}`);
    const x = typeof e.increments === 'string' ? decodeIncrements(e.increments) : null;
    if (!x || x.length !== e.steps)
      return bad(
        `episodes[${i}] (seed ${e.seed}): "increments" must be base64 of ${e.steps} little-endian float64 values`,
      );
    increments.push(x);
  }
  return { ok: true, partial: p, increments };
}

/** What every partial of one calibration must agree on, with its name for messages. */
const AGREE: [string, (p: CalibrationPartial) => unknown][] = [
  ['shard count N', (p) => p.shard.count],
  ['calibration seeds', (p) => `${p.seeds.from}+${p.seeds.count}`],
  ['maxSteps', (p) => p.maxSteps],
  ['alpha', (p) => p.alpha],
  ['window', (p) => p.window],
  ['cusum k', (p) => p.k],
  ['scenario', (p) => `${p.scenario.name} ${p.scenario.hash}`],
  ['agent', (p) => `${p.agent.name} ${p.agent.hash}`],
  ['environment', (p) => p.environmentHash],
  ['objective', (p) => p.objectiveHash],
];

export interface LoadedPartial {
  file: string;
  partial: CalibrationPartial;
  increments: Float64Array[];
}

/** All N shards, each once, agreeing on what was calibrated, in shard order; throws an Error
 *  naming the files otherwise. */
export function checkShardSet(parts: LoadedPartial[]): LoadedPartial[] {
  if (!parts.length) throw new Error('merge needs the partial files of every shard');
  const first = parts[0];
  for (const q of parts.slice(1)) {
    for (const [what, get] of AGREE) {
      if (get(q.partial) !== get(first.partial)) {
        throw new Error(
          `${q.file} and ${first.file} are not shards of one calibration: their ${what} differs (${String(get(q.partial))} vs ${String(get(first.partial))})`,
        );
      }
    }
  }
  const n = first.partial.shard.count;
  const byIndex = new Map<number, LoadedPartial>();
  for (const q of parts) {
    const dup = byIndex.get(q.partial.shard.index);
    if (dup) throw new Error(`shard ${q.partial.shard.index}/${n} is given twice: ${dup.file} and ${q.file}`);
    byIndex.set(q.partial.shard.index, q);
  }
  const missing: string[] = [];
  for (let i = 1; i <= n; i++) {
    if (!byIndex.has(i)) {
      const s = shardSeeds(first.partial.seeds, { index: i, count: n });
      missing.push(`${i}/${n} (seeds ${s.from}..${s.from + s.count - 1})`);
    }
  }
  if (missing.length) {
    throw new Error(
      `missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; given: ${parts.map((q) => `${q.file} (${q.partial.shard.index}/${n})`).join(', ')}`,
    );
  }
  return Array.from({ length: n }, (_, i) => byIndex.get(i + 1)!);
}

/** The calibration of the whole seed range from its shards' partials (any order). */
export function mergePartials(parts: LoadedPartial[]): { result: CalibrationResult; first: CalibrationPartial } {
  const ordered = checkShardSet(parts);
  const p = ordered[0].partial;
  const result = calibrate({
    episodes: ordered.flatMap((q) => q.increments),
    maxSteps: p.maxSteps,
    alpha: p.alpha,
    window: p.window,
    k: p.k,
  });
  return { result, first: p };
}
