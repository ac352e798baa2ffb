// The detector settings every re-flag path is checked under (test/engine/reflagPaths.test.ts for
// core, CLI and language server; test/integration/suite/reflagPaths.test.ts for the extension's
// views): each as the raw `objectiveMonitor` section a user's settings hold, and as the CLI's
// options for the same thing.

import fs from 'node:fs';
import path from 'node:path';

/** Copies exactly the files of the re-flag scenario from the repository at `root` into `dir`. */
export function copyReflagScenario(root: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of [...REFLAG_SCENARIO_FILES.fromExample, ...REFLAG_SCENARIO_FILES.fromFixtures])
    fs.copyFileSync(path.join(root, f), path.join(dir, path.basename(f)));
  return path.join(dir, 'paths.scenario.json');
}

export interface DetectorSection {
  kind: 'recorded' | 'envelope' | 'window' | 'cusum' | 'fixed';
  window?: number;
  cusumK?: number;
  alpha?: number;
  fixedThreshold?: number;
}

export const REFLAG_MATRIX: readonly DetectorSection[] = [
  { kind: 'recorded' },
  // alpha alone never re-flags under `recorded`
  { kind: 'recorded', alpha: 0.2 },
  { kind: 'envelope' },
  { kind: 'envelope', alpha: 0.2 },
  { kind: 'window', window: 20 },
  { kind: 'window', window: 20, alpha: 0.2 },
  { kind: 'cusum', cusumK: 0.5 },
  { kind: 'cusum', cusumK: 0.5, alpha: 0.2 },
  { kind: 'window', window: 20, alpha: 0.01 },
  { kind: 'fixed', fixedThreshold: -3 },
  { kind: 'fixed', fixedThreshold: -1000, alpha: 0.2 },
];

/** The engine-written traces these settings re-flag: the corridor example made longer
 *  (test/fixtures/reflag/paths.scenario.json) with an agent that turns away from the goal at step
 *  12 (detectors flag it at different steps) and the aligned agent (not flagged). */
export const REFLAG_SCENARIO_FILES = {
  fromExample: ['environment.ts', 'objective.ts', 'aligned.ts'].map((f) => `examples/corridor/${f}`),
  fromFixtures: ['late.ts', 'paths.scenario.json'].map((f) => `test/fixtures/reflag/${f}`),
};
/** Recorded with envelope, so an alpha under `recorded` would visibly move the flags if it re-flagged. */
export const REFLAG_RUNS: readonly { agent: string; episodes: number; detector: string }[] = [
  { agent: 'late', episodes: 4, detector: 'envelope' },
  { agent: 'aligned', episodes: 3, detector: 'cusum' },
];

/** `objective-monitor run` arguments of one of REFLAG_RUNS: traces recorded past the flag (flag-only),
 *  the run's summary as JSON (its episodes name their traces). */
export function reflagRunArgs(scenarioFile: string, run: (typeof REFLAG_RUNS)[number]): string[] {
  const { agent, episodes, detector } = run;
  return [
    'run',
    scenarioFile,
    '--agent',
    agent,
    '--episodes',
    String(episodes),
    '--detector',
    detector,
    '--protocol',
    'flag-only',
    '--json',
  ];
}

export function describeSection(d: DetectorSection): string {
  return Object.entries(d)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** The same settings as `objective-monitor reflag` options. */
export function cliOptions(d: DetectorSection): string[] {
  const out = ['--detector', d.kind];
  if (d.window !== undefined) out.push('--window', String(d.window));
  if (d.cusumK !== undefined) out.push('--cusum-k', String(d.cusumK));
  if (d.fixedThreshold !== undefined) out.push('--threshold', String(d.fixedThreshold));
  if (d.alpha !== undefined) out.push('--alpha', String(d.alpha));
  return out;
}
