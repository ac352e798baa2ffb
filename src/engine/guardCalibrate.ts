// The guard's margin for a run: read from the calibration file when it was measured with these
// look-ahead settings and this detector, otherwise measured now on the held-out calibration episodes
// (the guard in measure mode: it never fires, each episode reports its largest predicted shortfall)
// and added to the calibration file. See src/core/guardCalibration.ts for the rule.
import path from 'node:path';
import type { CalibrationFile } from '../core/calibrationTypes';
import type { DetectorConfig } from '../core/detectorConfig';
import {
  guardThreshold,
  paramsOf,
  reactiveExtreme,
  sameSettings,
  settingsOf,
  type CalibratedKind,
  type GuardCalibration,
} from '../core/guardCalibration';
import type { GuardConfig, GuardNotice } from '../core/guardTypes';
import type { LoadedScenario } from '../core/scenario';
import type { EngineEvent } from '../shared/engineEvents';
import { writeFileAtomic } from './atomicWrite';
import { runEpisodes } from './runEpisodes';
import { seedRange } from './scenarioLoader';
import type { AgentChoice, Limits } from './types';
import { UsageError } from './usageError';

export interface GuardCalibrateOptions {
  scenario: LoadedScenario;
  agent: AgentChoice;
  calibration: CalibrationFile;
  calibrationFile: string;
  detector: DetectorConfig;
  guard: GuardConfig;
  outDir: string;
  limits: Limits;
  workers?: number;
  python?: string;
  signal?: AbortSignal;
  onEvent?: (e: EngineEvent) => void;
  notice: (text: string) => void;
}

/** The held-out calibration seeds: the second part of the split (docs/detectors.md). */
export function heldOutSeeds(cal: CalibrationFile): { from: number; count: number } {
  const fit = Math.floor(cal.seeds.count / 2);
  return { from: cal.seeds.from + fit, count: cal.seeds.count - fit };
}

function stored(
  cal: CalibrationFile,
  detector: DetectorConfig & { kind: CalibratedKind },
  guard: GuardConfig,
): boolean {
  const g = cal.guard;
  if (!g || !sameSettings(g.settings, settingsOf(guard))) return false;
  const d = g.detectors[detector.kind];
  return !!d && JSON.stringify(d.params) === JSON.stringify(paramsOf(detector));
}

/** The guard with its calibrated margin, and the calibration (updated when the margin was measured
 *  now; the run itself uses withGuardThreshold of it); or no guard and the notice saying why (no copy
 *  can be made: the run is reactive). */
export async function calibrateGuard(
  o: GuardCalibrateOptions,
): Promise<{ guard: GuardConfig | null; calibration: CalibrationFile; notice?: GuardNotice }> {
  const { detector, guard } = o;
  if (detector.kind === 'fixed') return { guard: { ...guard, margin: 0 }, calibration: o.calibration };
  const kind = detector.kind;
  let cal = o.calibration;
  if (!stored(cal, detector, guard)) {
    const seeds = heldOutSeeds(cal);
    o.notice(
      `Measuring the guard's margin on the ${seeds.count} held-out calibration episodes (seeds ${seeds.from}..${seeds.from + seeds.count - 1}, horizon ${guard.horizon}, ${guard.rollouts} rollout${guard.rollouts === 1 ? '' : 's'}).`,
    );
    const run = await runEpisodes({
      scenario: o.scenario,
      agent: o.agent,
      distribution: 'calibration',
      seeds: seedRange(seeds.from, seeds.count),
      recording: 'scores',
      protocol: 'flag-only',
      detector,
      calibration: cal,
      calibrationFile: o.calibrationFile,
      tracesDir: path.join(o.outDir, 'calibration', 'guard-traces'),
      limits: o.limits,
      workers: o.workers,
      python: o.python,
      signal: o.signal,
      onEvent: o.onEvent,
      guard: { ...guard, margin: 0, measure: true, record: 'fired' },
    });
    if (o.signal?.aborted) throw new UsageError('the guard calibration stopped before it finished; nothing was saved');
    const off = run.episodes.find((e) => e.guard && e.guard.status !== 'on');
    if (off?.guard) return { guard: null, calibration: o.calibration, notice: off.guard };
    const bad = run.episodes.find((e) => e.reason !== 'completed');
    if (bad) {
      throw new UsageError(
        `guard calibration failed: held-out seed ${bad.seed} ended ${bad.reason}${bad.error ? ` — ${bad.error.message}` : ''}; trace: ${bad.trace}`,
      );
    }
    const pairs: [number, number | null][] = run.episodes.map((e) => [
      reactiveExtreme(detector, cal, e.increments),
      e.guardExtreme ?? null,
    ]);
    const section: GuardCalibration =
      cal.guard && sameSettings(cal.guard.settings, settingsOf(guard))
        ? { ...cal.guard, detectors: { ...cal.guard.detectors } }
        : { settings: settingsOf(guard), seeds, detectors: {} };
    const d = cal.detectors[kind];
    section.detectors[kind] = {
      params: paramsOf(detector),
      pairs,
      margin: guardThreshold(kind, d.h, d.k, pairs).margin,
    };
    cal = { ...cal, guard: section };
    writeFileAtomic(o.calibrationFile, JSON.stringify(cal, null, 1) + '\n');
  }
  const g = cal.guard!.detectors[kind]!;
  const d = cal.detectors[kind];
  return { guard: { ...guard, margin: guardThreshold(kind, d.h, d.k, g.pairs).margin }, calibration: cal };
}
