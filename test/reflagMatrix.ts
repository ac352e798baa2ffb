// The detector settings every re-flag path is checked under (test/engine/reflagPaths.test.ts for
// core, CLI and language server; test/integration/suite/reflagPaths.test.ts for the extension's
// views): each as the raw `objectiveMonitor` section a user's settings hold, and as the CLI's
// options for the same thing.

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
  { kind: 'cusum', cusumK: 0.5, alpha: 0.01 },
  { kind: 'cusum', cusumK: 0.5, alpha: 0.2 },
  { kind: 'fixed', fixedThreshold: -3 },
  { kind: 'fixed', fixedThreshold: 5, alpha: 0.2 },
];

export function describeSection(d: DetectorSection): string {
  return Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' ');
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
