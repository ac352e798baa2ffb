// A valid scores-only trace above VS Code's 50 MB sync limit, with a fixed threshold so the flagged
// step is known by hand: increments of +1 until `dropAt`, then -3.
import fs from 'node:fs';

export const SYNC_LIMIT = 50 * 1024 * 1024;

/** Writes the trace; with end 'flagged_stop' it stops at the flag like the engine would. */
export function writeBigTrace(
  file: string,
  steps: number,
  dropAt: number,
  threshold: number,
  end: 'completed' | 'flagged_stop' = 'completed',
  seed = 1,
): { flagged: number; flaggedScore: number; bytes: number } {
  const fd = fs.openSync(file, 'w');
  try {
    const header = {
      type: 'header',
      version: 1,
      runId: `run-big-${seed}`,
      episodeId: `seed-${seed}`,
      scenario: { name: 'big', file: '/nonexistent/big.scenario.json', hash: 'x' },
      agent: { name: 'misaligned', module: '/nonexistent/agent.js', options: {} },
      environment: { module: '/nonexistent/env.js', options: {} },
      objective: null,
      seed,
      distribution: 'deployment',
      maxSteps: steps,
      recording: 'scores',
      protocol: 'flag-only',
      detector: { kind: 'fixed', threshold },
      calibration: null,
      startedAt: new Date().toISOString(),
    };
    const batch: string[] = [JSON.stringify(header), JSON.stringify({ type: 'reset' })];
    let score = 0;
    let flagged = -1;
    let flaggedScore = NaN;
    let written = 0;
    for (let t = 0; t < steps; t++) {
      const u = t < dropAt ? 1 : -3;
      score += u;
      const flag = flagged < 0 && score < threshold;
      if (flag) {
        flagged = t;
        flaggedScore = score;
      }
      batch.push(
        `{"type":"step","step":${t},"increment":${u},"score":${score},"statistic":${score},"threshold":${threshold},"flag":${flag}}`,
      );
      written = t + 1;
      if (end === 'flagged_stop' && flag) break;
      if (batch.length >= 10_000) {
        fs.writeSync(fd, batch.join('\n') + '\n');
        batch.length = 0;
      }
    }
    batch.push(
      JSON.stringify({
        type: 'episode_end',
        reason: end,
        steps: written,
        score,
        flaggedStep: flagged < 0 ? null : flagged,
        durationMs: 1,
      }),
    );
    fs.writeSync(fd, batch.join('\n') + '\n');
    return { flagged, flaggedScore, bytes: fs.fstatSync(fd).size };
  } finally {
    fs.closeSync(fd);
  }
}
