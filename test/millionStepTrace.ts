// The 1M-step trace that the replay benchmarks (extensionMemory, replayOpen) and the e2e test
// bigTraceOpen open: a valid scores-only trace (src/core/traceFormat.ts) in the engine's own line layout,
// with a fixed threshold so the flagged step is known: a slow wave of increments, then a drop at FLAG_AT.
import fs from 'node:fs';

export const STEPS = 1_000_000;
export const FLAG_AT = 900_000;
const THRESHOLD = -50;

/** A scores-only trace (no observations): header, reset, STEPS steps, episode_end; flagged at FLAG_AT. */
export function writeMillionStepTrace(file: string): number {
  const fd = fs.openSync(file, 'w');
  const header = {
    type: 'header',
    version: 1,
    runId: 'bench-run',
    episodeId: 'seed-1',
    scenario: { name: 'bench', file: '/nonexistent/bench.scenario.json', hash: 'x' },
    agent: { name: 'bench', module: '/nonexistent/agent.js', options: {} },
    environment: { module: '/nonexistent/env.js', options: {} },
    objective: null,
    seed: 1,
    distribution: 'deployment',
    maxSteps: STEPS,
    recording: 'scores',
    protocol: 'flag-only',
    detector: { kind: 'fixed', threshold: THRESHOLD },
    calibration: null,
    startedAt: new Date().toISOString(),
  };
  let out = `${JSON.stringify(header)}\n${JSON.stringify({ type: 'reset' })}\n`;
  let s = 0;
  let flagged: number | null = null;
  for (let t = 0; t < STEPS; t++) {
    // a slow wave, then a drop at FLAG_AT that takes the running objective below the threshold
    const u = t === FLAG_AT ? -1e6 : Math.round(Math.sin(t / 5000) * 1000) / 1000 + 0.001;
    s += u;
    const flag = flagged === null && s < THRESHOLD;
    if (flag) flagged = t;
    out += `{"type":"step","step":${t},"increment":${u},"score":${s},"statistic":${s},"threshold":${THRESHOLD},"flag":${flag}}\n`;
    if (out.length > 1 << 20) {
      fs.writeSync(fd, out);
      out = '';
    }
  }
  out += `${JSON.stringify({ type: 'episode_end', reason: 'completed', steps: STEPS, score: s, flaggedStep: flagged, durationMs: 1 })}\n`;
  fs.writeSync(fd, out);
  fs.closeSync(fd);
  if (flagged !== FLAG_AT) throw new Error(`generated trace flags step ${flagged}, expected ${FLAG_AT}`);
  return fs.statSync(file).size;
}
