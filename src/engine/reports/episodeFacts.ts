// What a CI report needs from each episode's trace beyond EpisodeResult: the flag's sentence and
// line (or, for an episode the guard stopped before a predicted crossing, the prediction's sentence
// and the end record's line), and the episode's duration. Flagged and predicted-stop traces are read
// whole (the line must be found); the others only by their last line, so a report over long
// unflagged episodes stays cheap.
import fs from 'node:fs';
import { flagReport, predictedStopReport, type FlagReport, type PredictedStopReport } from '../../core/flagReport';
import type { EpisodeResult } from '../types';

export interface EpisodeFacts {
  episode: EpisodeResult;
  flag: FlagReport | null;
  /** a predicted_stop episode with no flag: the prediction that stopped it */
  predicted: PredictedStopReport | null;
  durationMs: number | null;
}

export function episodeFacts(e: EpisodeResult): EpisodeFacts {
  let flag: FlagReport | null = null;
  let durationMs: number | null = null;
  let predicted: PredictedStopReport | null = null;
  try {
    if (e.flaggedStep !== null || e.reason === 'predicted_stop') {
      const data = fs.readFileSync(e.trace);
      if (e.flaggedStep !== null) flag = flagReport(data, e.flaggedStep);
      else predicted = predictedStopReport(data, e.prediction, e.steps);
      durationMs = endDuration(lastLine(data.subarray(Math.max(0, data.length - 64 * 1024)).toString('utf8')));
    } else {
      durationMs = endDuration(lastLine(readTail(e.trace, 64 * 1024)));
    }
  } catch {
    // A missing or unreadable trace still gets its test case; the report says what the engine knew.
  }
  if (e.flaggedStep === null && e.reason === 'predicted_stop' && !predicted) {
    predicted = predictedStopReport(new Uint8Array(0), e.prediction, e.steps); // trace unreadable: its first line
  }
  if (e.flaggedStep !== null && !flag) {
    flag = {
      step: e.flaggedStep,
      line: 0,
      found: false,
      score: null,
      threshold: null,
      detector: null,
      alpha: null,
      message: `flagged at step ${e.flaggedStep} (trace unreadable)`,
    };
  }
  return { episode: e, flag, predicted, durationMs };
}

function readTail(file: string, bytes: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, bytes);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines[lines.length - 1] ?? '';
}

function endDuration(line: string): number | null {
  try {
    const rec = JSON.parse(line) as { type?: string; durationMs?: unknown };
    return rec.type === 'episode_end' && typeof rec.durationMs === 'number' ? rec.durationMs : null;
  } catch {
    return null;
  }
}
