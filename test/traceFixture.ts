// Hand-written traces for tests that only read traces (unit, integration and e2e alike: no vscode import).
import fs from 'node:fs';
import type { TraceHeader } from '../src/core/traceFormat';

/** A valid trace header; `over` replaces any of its fields (every trace a test writes starts with one). */
export function header(over: Partial<TraceHeader> = {}): TraceHeader {
  return {
    type: 'header',
    version: 1,
    runId: 'run-1',
    episodeId: 'ep-1',
    scenario: { name: 'coin', file: '/w/coin.scenario.json', hash: 'abc' },
    agent: { name: 'aligned', module: '/w/agent.ts', options: {} },
    environment: { module: '/w/env.ts', options: { size: 5 } },
    objective: null,
    seed: 7,
    distribution: 'deployment',
    maxSteps: 100,
    recording: 'full',
    protocol: 'stop',
    detector: { kind: 'envelope' },
    calibration: { file: '/w/coin.calibration.json', hash: 'def', alpha: 0.05, computedAt: '2024-01-01T00:00:00Z' },
    startedAt: '2024-01-01T00:00:00Z',
    ...over,
  };
}

/** A small valid trace (header, reset, steps, end), written by hand for reader-only tests. */
export function writeTrace(file: string, increments: number[], opts: { threshold?: number } = {}): void {
  const h = opts.threshold ?? -1;
  const lines: unknown[] = [
    header({
      runId: 'run-fixture',
      episodeId: 'seed-7',
      scenario: { name: 'fixture', file: '/nonexistent/fixture.scenario.json', hash: 'x' },
      agent: { name: 'aligned', module: '/nonexistent/agent.js', options: {} },
      environment: { module: '/nonexistent/env.js', options: {} },
      maxSteps: increments.length,
      protocol: 'flag-only',
      detector: { kind: 'fixed', threshold: h },
      calibration: null,
      startedAt: new Date().toISOString(),
    }),
    { type: 'reset', observation: { x: 0 } },
  ];
  let s = 0;
  let flagged: number | null = null;
  increments.forEach((u, t) => {
    s += u;
    const flag = flagged === null && s < h;
    if (flag) flagged = t;
    lines.push({
      type: 'step',
      step: t,
      increment: u,
      score: s,
      statistic: s,
      threshold: h,
      flag,
      action: 1,
      reward: u,
      observation: { x: t + 1 },
    });
  });
  lines.push({
    type: 'episode_end',
    reason: 'completed',
    steps: increments.length,
    score: s,
    flaggedStep: flagged,
    durationMs: 1,
  });
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}
