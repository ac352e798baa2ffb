// `objective-monitor calibrate <scenario> [--alpha A] [--detector K] [--agent M]`
import type { CalibrationFile } from '../../core/calibrationTypes';
import { loadScenario, resolveAgent } from '../scenarioLoader';
import type { CliOutput } from '../cliOutput';
import { detectorOf, type Flags } from '../cliOptions';
import { calibrateNow } from './ensureCalibration';
import { UsageError } from '../usageError';
import { calibrateShardCommand, shardOf } from '../shard';
import { numberText } from '../../core/numberText';

export async function calibrateCommand(
  args: string[],
  flags: Flags,
  out: CliOutput,
  signal?: AbortSignal,
): Promise<number> {
  if (args.length !== 1)
    throw new UsageError('calibrate needs exactly one scenario: objective-monitor calibrate <scenario>');
  const scenario = loadScenario(args[0]);
  const agent = resolveAgent(scenario, flags.agent);
  const detector = detectorOf(flags, scenario);
  const shard = shardOf(flags);
  if (shard) return calibrateShardCommand(scenario, agent, shard, flags, out, signal);
  if (flags.output !== undefined)
    throw new UsageError('-o/--output is for calibrate --shard (the partial file) and merge (the calibration)');
  const { file, calibration } = await calibrateNow(scenario, agent, flags, out, signal);
  const shown = detector.kind === 'fixed' ? null : calibration.detectors[detector.kind];
  if (out.mode === 'json') {
    out.json({ file, calibration: summary(calibration, detector.kind) });
  } else if (out.mode === 'human') {
    out.line(
      `${scenario.spec.name} / ${agent.name}: alpha ${calibration.alpha}, ${calibration.fitEpisodes} episodes fitted, ${calibration.conformalEpisodes} held out`,
    );
    for (const kind of ['envelope', 'window', 'cusum'] as const) {
      const d = calibration.detectors[kind];
      out.line(
        `  ${kind.padEnd(8)} h = ${numberText(d.h)}   false-alarm bound ${d.k}/${d.n + 1} = ${numberText(d.bound)}${d.guaranteed ? '' : '  (NOT guaranteed: too few episodes)'}`,
      );
    }
    if (!shown) out.line('  fixed    needs no calibration (threshold given with --threshold)');
    out.line(`saved to ${file}`);
  }
  return 0;
}

export function summary(c: CalibrationFile, kind: string) {
  const d = kind === 'envelope' || kind === 'window' || kind === 'cusum' ? c.detectors[kind] : null;
  return {
    alpha: c.alpha,
    detector: kind,
    computedAt: c.computedAt,
    episodes: c.fitEpisodes + c.conformalEpisodes,
    threshold: d ? d.h : null,
    bound: d ? d.bound : null,
    guaranteed: d ? d.guaranteed : null,
    warnings: c.warnings,
  };
}
