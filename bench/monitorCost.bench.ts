// Monitor cost per step: each detector's push() against the bare loop (running sum + compare on
// locals) over the same increments. Target: <= 5 ns per step.
import childProcess from 'node:child_process';
import { createMonitor } from '../src/core/detectors';
import { calibrate } from '../src/core/calibration';
import type { DetectorConfig } from '../src/core/detectorConfig';
import type { CalibrationFile } from '../src/core/calibrationTypes';

const steps = 1000;
const episodes = 10_000; // 10M pushes per detector
let seed = 42;
const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const incs = Float64Array.from({ length: steps }, () => 1 + (rnd() - 0.5) * 0.4);
const calEps = Array.from({ length: 200 }, () => Float64Array.from({ length: steps }, () => 1 + (rnd() - 0.5) * 0.4));
const fitted = calibrate({ episodes: calEps, maxSteps: steps, alpha: 0.05, window: 20, k: 0.5 });
const cal = { ...fitted } as unknown as CalibrationFile;

function bare(): number {
  let flagged = 0;
  for (let e = 0; e < episodes; e++) {
    let s = 0;
    for (let t = 0; t < steps; t++) {
      s += incs[t];
      if (s < -1e9) flagged++;
    }
  }
  return flagged;
}

function withMonitor(config: DetectorConfig): number {
  const m = createMonitor(config, cal);
  let flagged = 0;
  for (let e = 0; e < episodes; e++) {
    m.reset();
    for (let t = 0; t < steps; t++) if (m.push(incs[t])) flagged++;
  }
  return flagged;
}

function time(fn: () => number): number {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - t0) / (episodes * steps));
  }
  runs.sort((a, b) => a - b);
  return runs[2];
}

// Each detector is measured in a process of its own: one call site that has seen several monitor
// classes goes megamorphic and stops inlining, which would bill later detectors for earlier ones.
const configs: Record<string, DetectorConfig> = {
  fixed: { kind: 'fixed', threshold: -1e9 },
  envelope: { kind: 'envelope' },
  window: { kind: 'window', window: 20 },
  cusum: { kind: 'cusum', k: 0.5 },
};
const which = process.argv[2];
if (which) {
  process.stdout.write(JSON.stringify(which === 'bare' ? time(bare) : time(() => withMonitor(configs[which]))));
} else {
  const { execFileSync } = childProcess;
  const measure = (k: string) =>
    JSON.parse(execFileSync(process.execPath, [...process.execArgv, __filename, k], { encoding: 'utf8' })) as number;
  const base = measure('bare');
  const rows = [`| bare loop: running sum + compare | ${base.toFixed(2)} | — |`];
  for (const k of Object.keys(configs)) {
    const ns = measure(k);
    rows.push(`| ${k} | ${ns.toFixed(2)} | ${(ns - base).toFixed(2)} |`);
  }
  console.log(`## Monitor cost per step (target <= 5 ns)

${(episodes * steps) / 1e6}M steps per detector, median of 5 runs, \`Monitor.push\` from src/core/detectors.ts, each
detector in a fresh process (a call site shared by several monitor classes goes megamorphic).

| detector | ns per step | ns over the bare loop |
| --- | --- | --- |
${rows.join('\n')}`);
}
