// What a CI report needs from each episode's trace beyond EpisodeResult: the flag's sentence and
// line (or, for an episode the guard stopped before a predicted crossing, the prediction's sentence
// and the end record's line), and the episode's duration. Flagged and predicted-stop traces are read
// whole (the line must be found); the others only by their last line, so a report over long
// unflagged episodes stays cheap.
import fs from 'node:fs';
import { flagReport, fmtNumber, type FlagReport } from '../../core/flagReport';
import type { EpisodeResult } from '../types';

export interface EpisodeFacts {
  episode: EpisodeResult;
  flag: FlagReport | null;
  /** a predicted_stop episode with no flag: the prediction that stopped it */
  predicted: PredictedStop | null;
  durationMs: number | null;
}

export interface PredictedStop {
  /** 0-based line of the episode_end record, which carries the prediction */
  line: number;
  /** the step whose action the guard did not take */
  step: number;
  crossingStep: number | null;
  message: string;
}

export function episodeFacts(e: EpisodeResult): EpisodeFacts {
  let flag: FlagReport | null = null;
  let durationMs: number | null = null;
  const predicted = e.flaggedStep === null && e.reason === 'predicted_stop' ? predictedStop(e) : null;
  try {
    if (e.flaggedStep !== null) {
      const data = fs.readFileSync(e.trace);
      flag = flagReport(data, e.flaggedStep);
      durationMs = endDuration(lastLine(data.subarray(Math.max(0, data.length - 64 * 1024)).toString('utf8')));
    } else if (predicted) {
      const data = fs.readFileSync(e.trace);
      predicted.line = endLineIndex(data);
      durationMs = endDuration(lastLine(data.subarray(Math.max(0, data.length - 64 * 1024)).toString('utf8')));
    } else {
      durationMs = endDuration(lastLine(readTail(e.trace, 64 * 1024)));
    }
  } catch {
    // A missing or unreadable trace still gets its test case; the report says what the engine knew.
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

/** The guard's stop in one sentence, from the prediction the engine checked (line found later). */
function predictedStop(e: EpisodeResult): PredictedStop {
  const p = e.prediction;
  const step = p?.step ?? e.steps;
  const crossingStep = p?.crossingStep ?? null;
  const message =
    p && crossingStep !== null
      ? `predicted running objective ${fmtNumber(p.predictedScore)} below the threshold at step ${crossingStep}; the guard stopped the episode before the action of step ${step}`
      : `the guard stopped the episode before the action of step ${step} on its prediction`;
  return { line: 0, step, crossingStep, message };
}

/** 0-based index of the last non-empty line (the episode_end record of a finished trace). */
function endLineIndex(data: Buffer): number {
  let end = data.length;
  while (end > 0 && (data[end - 1] === 0x0a || data[end - 1] === 0x0d || data[end - 1] === 0x20)) end--;
  let lines = 0;
  for (let i = data.indexOf(0x0a); i !== -1 && i < end; i = data.indexOf(0x0a, i + 1)) lines++;
  return lines;
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
