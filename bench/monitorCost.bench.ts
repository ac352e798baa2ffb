// Monitor cost per step against the bare loop (running sum + compare on locals) over the same
// increments, two ways: scan() over a whole episode's column (re-flag, calibration, the guard's
// look-ahead: the state stays in registers) and push() one step at a time (the online path: a runner's
// local monitor between two environment steps). Target: <= 2 ns per step over the bare loop.
import childProcess from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createMonitor } from '../src/core/detectors';
import { calibrate } from '../src/core/calibration';
import type { DetectorConfig } from '../src/core/detectorConfig';
import type { CalibrationFile } from '../src/core/calibrationTypes';
import { tempDir } from '../test/tempDirs';

const steps = 1000;
const episodes = 10_000; // 10M pushes per detector
let seed = 42;
const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const incs = Float64Array.from({ length: steps }, () => 1 + (rnd() - 0.5) * 0.4);
// The calibration is fitted once by the parent and read from a file by each measuring child, so that
// a child runs no monitor code but the loop it measures.
const which = process.argv[2];
const calPath = which ? process.argv[3] : path.join(tempDir('om-monitor-cost-'), 'cal.json');
if (!which) {
  const calEps = Array.from({ length: 200 }, () => Float64Array.from({ length: steps }, () => 1 + (rnd() - 0.5) * 0.4));
  fs.writeFileSync(
    calPath,
    JSON.stringify(calibrate({ episodes: calEps, maxSteps: steps, alpha: 0.05, window: 20, k: 0.5 })),
  );
}
const cal = JSON.parse(fs.readFileSync(calPath, 'utf8')) as CalibrationFile;

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

// The callers that keep every step's numbers (re-flag, calibration's extremes, the guard) pass
// columns; their bare loop stores the running sum in three columns, as many stores as the scan makes.
const cols = {
  scores: new Float64Array(steps),
  statistics: new Float64Array(steps),
  thresholds: new Float64Array(steps),
};
function bareColumns(): number {
  let flagged = 0;
  const { scores, statistics, thresholds } = cols;
  for (let e = 0; e < episodes; e++) {
    let s = 0;
    for (let t = 0; t < steps; t++) {
      s += incs[t];
      if (s < -1e9) flagged++;
      scores[t] = s;
      statistics[t] = s;
      thresholds[t] = s;
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

function withScan(config: DetectorConfig, columns: typeof cols | null): number {
  const m = createMonitor(config, cal);
  let flagged = 0;
  for (let e = 0; e < episodes; e++) {
    m.reset();
    if (m.scan(incs, 0, steps, columns) >= 0) flagged++;
  }
  return flagged;
}

// CPU time of this process, not wall time: the loop is single-threaded, and CPU time does not count
// the time the process waits for a core while other work runs on the machine.
function time(fn: () => number): number {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t0);
    runs.push(((d.user + d.system) * 1000) / (episodes * steps));
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
if (which) {
  const [kind, how] = which.split(':');
  const run =
    kind === 'bare'
      ? how === 'columns'
        ? bareColumns
        : bare
      : how === 'scan'
        ? () => withScan(configs[kind], null)
        : how === 'columns'
          ? () => withScan(configs[kind], cols)
          : () => withMonitor(configs[kind]);
  process.stdout.write(JSON.stringify(time(run)));
} else {
  const { execFileSync } = childProcess;
  const measure = (k: string) =>
    JSON.parse(
      execFileSync(process.execPath, [...process.execArgv, __filename, k, calPath], { encoding: 'utf8' }),
    ) as number;
  const base = measure('bare');
  const baseCols = measure('bare:columns');
  const rows = [
    `| bare loop: running sum + compare | ${base.toFixed(2)} | — | ${base.toFixed(2)} | — | ${baseCols.toFixed(2)} | — |`,
  ];
  for (const k of Object.keys(configs)) {
    const scan = measure(`${k}:scan`);
    const push = measure(`${k}:push`);
    const withCols = measure(`${k}:columns`);
    rows.push(
      `| ${k} | ${scan.toFixed(2)} | **${(scan - base).toFixed(2)}** | ${push.toFixed(2)} | ${(push - base).toFixed(2)} | ${withCols.toFixed(2)} | ${(withCols - baseCols).toFixed(2)} |`,
    );
  }
  console.log(`## Monitor cost per step (target <= 2 ns over the bare loop)

${(episodes * steps) / 1e6}M steps per detector and way, median of 5 runs in CPU time, \`Monitor.scan\` (a 1000-step episode's
increments at once: where it first flags) and \`Monitor.push\` (one step at a time) from src/core/detectors.ts, each in a
fresh process (a call site shared by several monitor classes goes megamorphic). Re-flag, calibration's extremes and the
guard keep every step's score, statistic and threshold: their scan writes three columns, shown in the last two columns
against a bare loop that stores its running sum three times.
push() keeps the running objective in the monitor object between calls, so each step waits for the previous
step's score to come back from memory (store-to-load forwarding, ~2.5 ns here): a push that only adds, compares
and stores measured 3.0 ns over the bare loop, so push() cannot reach the 2 ns target in a tight loop.

| detector | scan: ns per step | scan: ns over the bare loop | push: ns per step | push: ns over the bare loop | scan with columns: ns per step | with columns: ns over the bare loop with columns |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}`);
}
