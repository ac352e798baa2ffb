// Hand-made calibration files for the detector tests.
import type { CalibrationFile, DetectorCalibration, StepModel } from '../../src/core/calibrationTypes';

export function detCal(
  kind: DetectorCalibration['kind'],
  model: StepModel,
  h: number,
  params: DetectorCalibration['params'] = {},
): DetectorCalibration {
  return { kind, params, model, h, k: 1, n: 19, bound: 0.05, guaranteed: true };
}

export function calFile(
  parts: Partial<CalibrationFile['detectors']>,
  extra: Partial<CalibrationFile> = {},
): CalibrationFile {
  const flat = { mean: [0], sd: [1] };
  return {
    version: 1,
    scenario: { name: 's', file: '/w/s.scenario.json', hash: 'sh' },
    agent: { name: 'aligned', module: '/w/a.ts', hash: 'ah' },
    environmentHash: 'eh',
    objectiveHash: null,
    computedAt: '2024-01-01T00:00:00Z',
    alpha: 0.05,
    seeds: { from: 0, count: 40 },
    maxSteps: 10,
    fitEpisodes: 20,
    conformalEpisodes: 20,
    band: { p05: [0], p50: [0], p95: [0] },
    detectors: {
      envelope: parts.envelope ?? detCal('envelope', flat, -3),
      window: parts.window ?? detCal('window', flat, -3, { window: 3 }),
      cusum: parts.cusum ?? detCal('cusum', flat, 5, { k: 0.5 }),
    },
    warnings: [],
    ...extra,
  };
}
