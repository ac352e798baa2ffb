// Run and report need a calibration: use the stored one when it is current, otherwise compute it
// first and say so (a stale calibration would silently flag against another agent's scores).
import path from 'node:path';
import type { CalibrationFile } from '../../core/calibrationTypes';
import type { LoadedScenario } from '../../core/scenario';
import { calibrationPath, computeCalibration, fingerprint, readCalibration, whyStale } from '../calibrationStore';
import { staleness, withAlpha } from '../../core/calibration';
import { UsageError } from '../usageError';
import type { CliOutput } from '../cliOutput';
import { type Flags, calibrateOptionsOf, outDirOf, alphaOf } from '../cliOptions';
import type { AgentChoice } from '../types';

export async function ensureCalibration(
  scenario: LoadedScenario,
  agent: AgentChoice,
  flags: Flags,
  out: CliOutput,
  signal?: AbortSignal,
): Promise<{ file: string; calibration: CalibrationFile }> {
  const outDir = outDirOf(flags);
  const alpha = alphaOf(flags, scenario);
  const file = calibrationPath(scenario, agent, outDir);
  const existing = flags.recalibrate ? null : readCalibration(file);
  const reason = existing ? whyStale(existing, scenario, agent, alpha) : null;
  if (existing && !reason) return { file, calibration: existing };
  const { from, count } = scenario.spec.calibration.seeds;
  const what = `${scenario.spec.name} / ${agent.name}`;
  out.notice(
    existing
      ? `Calibration for ${what} is stale (${reason}): recalibrating on ${count} training episodes (seeds ${from}..${from + count - 1}).`
      : flags.recalibrate
        ? `Recalibrating ${what} on ${count} training episodes (seeds ${from}..${from + count - 1}).`
        : `No calibration for ${what} yet: calibrating on ${count} training episodes (seeds ${from}..${from + count - 1}) first.`,
  );
  return calibrateNow(scenario, agent, flags, out, signal);
}

/** `run --calibration FILE`: a stored calibration made for another agent of the same scenario (a
 *  reference agent, the CI gate). Staleness still applies to the scenario, environment, objective,
 *  maxSteps and seeds; the agent differing is expected and said. Never recomputed: a stale
 *  reference is an input error (exit 2), not something to recalibrate on the candidate. */
export function referenceCalibration(
  scenario: LoadedScenario,
  agent: AgentChoice,
  flags: Flags,
  out: CliOutput,
): { file: string; calibration: CalibrationFile } {
  const file = path.resolve(flags.calibration!);
  const cal = readCalibration(file);
  if (!cal) throw new UsageError(`--calibration ${flags.calibration}: no such calibration file`);
  const fp = fingerprint(scenario, agent);
  const reason = staleness(cal, { ...fp, agentHash: cal.agent.hash });
  if (reason)
    throw new UsageError(
      `--calibration ${flags.calibration}: it does not fit scenario "${scenario.spec.name}" any more: ${reason}; calibrate the reference agent again`,
    );
  if (cal.scenario.name !== scenario.spec.name) {
    throw new UsageError(
      `--calibration ${flags.calibration}: it was made for scenario "${cal.scenario.name}", not "${scenario.spec.name}"`,
    );
  }
  const calibration = flags.alpha === undefined ? cal : withAlpha(cal, alphaOf(flags, scenario));
  const same = cal.agent.hash === fp.agentHash && cal.agent.module === path.resolve(agent.module);
  out.notice(
    same
      ? `Using calibration ${path.relative(process.cwd(), file) || file}.`
      : `Using calibration ${path.relative(process.cwd(), file) || file}, calibrated on agent ${cal.agent.name}, to monitor agent ${agent.name}.`,
  );
  return { file, calibration };
}

export async function calibrateNow(
  scenario: LoadedScenario,
  agent: AgentChoice,
  flags: Flags,
  out: CliOutput,
  signal?: AbortSignal,
) {
  out.startProgress('calibrating', scenario.spec.calibration.seeds.count);
  try {
    const r = await computeCalibration(calibrateOptionsOf(scenario, agent, flags, out, signal));
    for (const w of r.calibration.warnings) out.notice(`warning: ${w}`);
    out.notice(`Calibration saved: ${path.relative(process.cwd(), r.file) || r.file}`);
    return r;
  } finally {
    out.endProgress();
  }
}
