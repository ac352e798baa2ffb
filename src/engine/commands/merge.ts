// `objective-monitor merge <partials...> [-o <calibration>]`: the calibration of the whole seed range
// from the partials of its N shards (calibrate --shard I/N), identical to the one a single machine
// computes from the same seeds (core/calibrationPartial.ts says why). Every shard exactly once, in
// any order; a missing, duplicated or foreign partial is an input error naming the files.
import fs from 'node:fs';
import path from 'node:path';
import type { CalibrationFile } from '../../core/calibrationTypes';
import { mergePartials, parsePartial, type LoadedPartial } from '../../core/calibrationPartial';
import { writeFileAtomic } from '../atomicWrite';
import type { CliOutput } from '../cliOutput';
import type { Flags } from '../cliOptions';
import { numberText } from '../../core/numberText';
import { UsageError } from '../usageError';

export async function mergeCommand(args: string[], flags: Flags, out: CliOutput): Promise<number> {
  if (!args.length)
    throw new UsageError(
      'merge needs the partial files of every shard: objective-monitor merge <partials...> -o <calibration>',
    );
  const parts: LoadedPartial[] = args.map((a) => {
    const file = path.resolve(a);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`${a}: cannot read the partial (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const r = parsePartial(a, text);
    if (!r.ok) throw new UsageError(r.message);
    return { file: a, partial: r.partial, increments: r.increments };
  });
  let merged: ReturnType<typeof mergePartials>;
  try {
    merged = mergePartials(parts);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { result, first: p } = merged;
  // The same fields in the same order as calibrationStore's calibrationFileOf: a merged file and a
  // single machine's differ only in computedAt.
  const calibration: CalibrationFile = {
    version: 1,
    scenario: { name: p.scenario.name, file: p.scenario.file, hash: p.scenario.hash },
    agent: { name: p.agent.name, module: p.agent.module, hash: p.agent.hash },
    environmentHash: p.environmentHash,
    objectiveHash: p.objectiveHash,
    computedAt: new Date().toISOString(),
    seeds: p.seeds,
    maxSteps: p.maxSteps,
    ...result,
  };
  const file = path.resolve(flags.output ?? defaultOutput(parts));
  writeFileAtomic(file, JSON.stringify(calibration, null, 1) + '\n');
  for (const w of calibration.warnings) out.notice(`warning: ${w}`);
  if (out.mode === 'json')
    out.json({
      file,
      shards: p.shard.count,
      episodes: calibration.fitEpisodes + calibration.conformalEpisodes,
      alpha: calibration.alpha,
      thresholds: {
        envelope: calibration.detectors.envelope.h,
        window: calibration.detectors.window.h,
        cusum: calibration.detectors.cusum.h,
      },
    });
  else if (out.mode === 'human') {
    out.line(
      `${p.scenario.name} / ${p.agent.name}: ${p.shard.count} shards merged, alpha ${calibration.alpha}, ${calibration.fitEpisodes} episodes fitted, ${calibration.conformalEpisodes} held out`,
    );
    for (const kind of ['envelope', 'window', 'cusum'] as const) {
      const d = calibration.detectors[kind];
      out.line(
        `  ${kind.padEnd(8)} h = ${numberText(d.h)}   false-alarm bound ${d.k}/${d.n + 1} = ${numberText(d.bound)}${d.guaranteed ? '' : '  (NOT guaranteed: too few episodes)'}`,
      );
    }
    out.line(`saved to ${file}`);
  }
  return 0;
}

/** Without -o: where calibrate --shard's default partial names point (X.shard-I-of-N.partial.json -> X.calibration.json). */
function defaultOutput(parts: LoadedPartial[]): string {
  const m = /^(.*)\.shard-\d+-of-\d+\.partial\.json$/.exec(parts[0].file);
  if (!m)
    throw new UsageError(
      `merge: say where to write the calibration with -o FILE (${parts[0].file} is not named like a default partial)`,
    );
  return `${m[1]}.calibration.json`;
}
