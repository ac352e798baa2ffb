// `--shard I/N` (issue 13): one contiguous slice of the seed range, so that any batch engine (Ray,
// a Kubernetes Indexed Job, a shell loop over machines) can run a calibration or a run as N
// independent processes. No scheduler here: a shard is a plain CLI invocation, and
// `objective-monitor merge` joins the calibration partials (core/calibrationPartial.ts).
import path from 'node:path';
import { DEFAULT_CUSUM_K, DEFAULT_WINDOW } from '../core/detectorConfig';
import {
  encodeIncrements,
  parseShard,
  PARTIAL_KIND,
  shardSeeds,
  type CalibrationPartial,
  type ShardSpec,
} from '../core/calibrationPartial';
import type { CalibrationFile } from '../core/calibrationTypes';
import type { LoadedScenario } from '../core/scenario';
import { writeFileAtomic } from './atomicWrite';
import {
  calibrationEpisodes,
  calibrationPath,
  fingerprint,
  readCalibration,
  whyStale,
  type CalibrateOptions,
} from './calibrationStore';
import type { CliOutput } from './cliOutput';
import { alphaOf, calibrateOptionsOf, type Flags } from './cliOptions';
import type { AgentChoice } from './types';
import { UsageError } from './usageError';

/** The --shard flag, or null without it. */
export function shardOf(flags: Flags): ShardSpec | null {
  if (flags.shard === undefined) return null;
  const s = parseShard(flags.shard);
  if (typeof s === 'string') throw new UsageError(`--shard ${flags.shard}: ${s}`);
  return s;
}

/** The shard's slice of `seeds`; a shard with no seed is a usage error (N larger than the range). */
export function sliceOf(
  seeds: { from: number; count: number },
  shard: ShardSpec,
  what: string,
): { from: number; count: number } {
  const s = shardSeeds(seeds, shard);
  if (s.count < 1) {
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: the ${what} range has ${seeds.count} seeds, too few for ${shard.count} shards (each needs at least one)`,
    );
  }
  return s;
}

/** Where a shard's partial goes without -o: beside where the merged calibration will be. */
export function defaultPartialPath(
  scenario: LoadedScenario,
  agent: AgentChoice,
  outDir: string,
  shard: ShardSpec,
): string {
  const cal = calibrationPath(scenario, agent, outDir);
  return cal.replace(/\.calibration\.json$/, `.shard-${shard.index}-of-${shard.count}.partial.json`);
}

/** `calibrate --shard I/N`: runs the slice's calibration episodes and writes the partial. */
export async function calibrateShard(
  o: CalibrateOptions,
  shard: ShardSpec,
  output: string | undefined,
): Promise<{ file: string; partial: CalibrationPartial }> {
  const { scenario, agent } = o;
  const spec = scenario.spec;
  const slice = sliceOf(spec.calibration.seeds, shard, 'calibration seed');
  const { increments } = await calibrationEpisodes(o, slice);
  const fp = fingerprint(scenario, agent);
  const partial: CalibrationPartial = {
    kind: PARTIAL_KIND,
    version: 1,
    shard,
    seeds: spec.calibration.seeds,
    shardSeeds: slice,
    maxSteps: spec.maxSteps,
    alpha: o.alpha,
    window: o.window ?? DEFAULT_WINDOW,
    k: o.cusumK ?? DEFAULT_CUSUM_K,
    scenario: { name: spec.name, file: scenario.file, hash: scenario.hash, builtin: scenario.builtin },
    agent: { name: agent.name, module: agent.module, hash: fp.agentHash },
    environmentHash: fp.environmentHash,
    objectiveHash: fp.objectiveHash,
    episodes: increments.map((x, i) => ({ seed: slice.from + i, steps: x.length, increments: encodeIncrements(x) })),
  };
  const file = output ? path.resolve(output) : defaultPartialPath(scenario, agent, o.outDir, shard);
  writeFileAtomic(file, JSON.stringify(partial) + '\n');
  return { file, partial };
}

/** `run --shard I/N` never calibrates: N shards recalibrating at once would each compute (and race
 *  to write) the same file. The calibration must be current already (merged, or --calibration). */
export function shardCalibration(
  scenario: LoadedScenario,
  agent: AgentChoice,
  flags: Flags,
  outDir: string,
  out: CliOutput,
): { file: string; calibration: CalibrationFile } {
  const file = calibrationPath(scenario, agent, outDir);
  const cal = readCalibration(file);
  const how = `calibrate first (calibrate --shard I/N on each shard, then merge -o ${file}), or pass --calibration FILE`;
  if (!cal) throw new UsageError(`run --shard ${flags.shard}: no calibration at ${file}; ${how}`);
  const reason = whyStale(cal, scenario, agent, alphaOf(flags, scenario));
  if (reason) throw new UsageError(`run --shard ${flags.shard}: the calibration ${file} is stale (${reason}); ${how}`);
  out.notice(`Using calibration ${path.relative(process.cwd(), file) || file}.`);
  return { file, calibration: cal };
}

/** `calibrate <scenario> --shard I/N [-o PARTIAL]`: the slice's episodes, then the partial file. */
export async function calibrateShardCommand(
  scenario: LoadedScenario,
  agent: AgentChoice,
  shard: ShardSpec,
  flags: Flags,
  out: CliOutput,
  signal?: AbortSignal,
): Promise<number> {
  const slice = sliceOf(scenario.spec.calibration.seeds, shard, 'calibration seed');
  out.startProgress(`calibrating shard ${shard.index}/${shard.count}`, slice.count);
  let r: { file: string; partial: CalibrationPartial };
  try {
    r = await calibrateShard(calibrateOptionsOf(scenario, agent, flags, out, signal), shard, flags.output);
  } finally {
    out.endProgress();
  }
  const seeds = `seeds ${slice.from}..${slice.from + slice.count - 1}`;
  if (out.mode === 'json') out.json({ partial: r.file, shard, seeds: slice, episodes: slice.count });
  else if (out.mode === 'human') {
    out.line(
      `${scenario.spec.name} / ${agent.name}: shard ${shard.index}/${shard.count}, ${slice.count} calibration episodes (${seeds})`,
    );
    out.line(
      `partial saved to ${r.file}; merge all ${shard.count} with: objective-monitor merge <partials...> -o <calibration>`,
    );
  }
  return 0;
}
