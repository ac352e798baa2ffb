// A hand-written trace for tests that only read traces (integration and e2e alike: no vscode import).
import fs from 'node:fs';

/** A small valid trace (header, reset, steps, end), written by hand for reader-only tests. */
export function writeTrace(file: string, increments: number[], opts: { threshold?: number } = {}): void {
  const h = opts.threshold ?? -1;
  const lines: unknown[] = [
    {
      type: 'header',
      version: 1,
      runId: 'run-fixture',
      episodeId: 'seed-7',
      scenario: { name: 'fixture', file: '/nonexistent/fixture.scenario.json', hash: 'x' },
      agent: { name: 'aligned', module: '/nonexistent/agent.js', options: {} },
      environment: { module: '/nonexistent/env.js', options: {} },
      objective: null,
      seed: 7,
      distribution: 'deployment',
      maxSteps: increments.length,
      recording: 'full',
      protocol: 'flag-only',
      detector: { kind: 'fixed', threshold: h },
      calibration: null,
      startedAt: new Date().toISOString(),
    },
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
