// Drives the Python runner directly, the way the engine does (5-fd stdio, detached, fd 3 records
// through the engine's own framer and record validator, fd 4 control), for tests of the runner alone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { LineFramer } from '../../src/core/framer';
import type { EpisodeCommand, RunnerRecord } from '../../src/core/wire';
import { checkRecordLine } from '../../src/engine/recordValidate';

export const ROOT = path.resolve(__dirname, '../..');
export const RUNNER = path.join(ROOT, 'src/runner/python/runner.py');
export const FIX = path.join(ROOT, 'test/fixtures/python');
export const PYTHON = process.env.OBJECTIVE_MONITOR_PYTHON || 'python3';

let gymChecked: boolean | null = null;
/** Gymnasium-dependent tests skip with this reason when it is missing (CI installs it). */
export function gymnasiumMissing(): string | false {
  if (gymChecked === null)
    gymChecked = spawnSync(PYTHON, ['-c', 'import gymnasium, numpy'], { stdio: 'ignore' }).status === 0;
  return gymChecked ? false : `gymnasium/numpy not installed for ${PYTHON}: pip install gymnasium numpy`;
}

export type Rec = RunnerRecord & { values?: number[] };

export class PyRunner {
  readonly child: ChildProcess;
  readonly records: Rec[] = [];
  readonly problems: string[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  /** Settles once the process exited and its pipes closed: every record it wrote has been read. */
  readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];
  private lastScores: Rec | null = null;
  private framer: LineFramer;

  constructor(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(PYTHON, [...extraArgs, '-u', RUNNER], {
      cwd: FIX,
      env: { ...process.env, OBJECTIVE_MONITOR_TOKEN: 'test-token', ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.wake();
        resolve({ code, signal });
      }),
    );
    this.closed = new Promise((resolve) =>
      this.child.once('close', () => {
        this.wake();
        resolve();
      }),
    );
    this.child.stdout!.on('data', (d: Buffer) => {
      if (this.stdout.length < 1e6) this.stdout += d.toString();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      if (this.stderr.length < 1e6) this.stderr += d.toString();
    });
    this.framer = new LineFramer({
      onLine: (line) => {
        const c = checkRecordLine(line);
        if (!c.ok) {
          this.problems.push(`${c.message}: ${line.slice(0, 200)}`);
          return;
        }
        const rec = c.record as Rec;
        if (rec.t === 'scores') {
          this.lastScores = rec;
          this.framer.expectBinary(rec.count * 8);
          return;
        }
        this.records.push(rec);
        this.wake();
      },
      onBinary: (data) => {
        const rec = this.lastScores!;
        rec.values = Array.from(new Float64Array(data.buffer, data.byteOffset, data.length / 8));
        this.records.push(rec);
        this.lastScores = null;
        this.wake();
      },
      onError: (e) => this.problems.push(e.message),
    });
    const fd3 = this.child.stdio[3] as Readable;
    fd3.on('data', (chunk: Buffer) => this.framer.push(chunk));
    (this.child.stdio[4] as Writable).on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(msg: object): void {
    (this.child.stdio[4] as Writable).write(JSON.stringify(msg) + '\n');
  }

  closeControl(): void {
    (this.child.stdio[4] as Writable).end();
  }

  /** Waits until `pred` holds over the records so far (or the process exits, or the time is up). */
  async waitFor(pred: (recs: Rec[]) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.records)) {
      if (this.exitedNow()) {
        // 'exit' can come before the last records were read from fd 3: drain the pipes (bounded,
        // in case something else still holds them open)
        await within(this.closed, Math.max(0, Math.min(2000, deadline - Date.now())));
        if (pred(this.records)) return;
        throw new Error(
          `runner exited before ${what}; records: ${summary(this.records)}\nstderr: ${this.stderr.slice(-2000)}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; records: ${summary(this.records)}\nstderr: ${this.stderr.slice(-2000)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Records of one episode, once it ended (end or error). */
  async episode(id: string, timeoutMs?: number): Promise<Rec[]> {
    const isEnd = (r: Rec) => (r.t === 'end' || r.t === 'error') && r.episodeId === id;
    await this.waitFor((rs) => rs.some(isEnd), `the end of episode ${id}`, timeoutMs);
    const startIdx = this.records.findIndex((r) => r.t === 'reset' && r.episodeId === id);
    const endIdx = this.records.findIndex(isEnd);
    // an episode that failed to load has no reset: take what follows the previous episode's end
    let s = startIdx;
    if (s < 0 || s > endIdx) {
      s = endIdx;
      while (s > 0 && !['end', 'error', 'hello'].includes(this.records[s - 1].t)) s--;
    }
    return this.records.slice(s, endIdx + 1);
  }

  private exitedNow(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The exit, once it came within `timeoutMs`; otherwise the runner is killed and this throws
   * naming `what`, so that a runner that missed its cue fails the test instead of hanging the suite. */
  async exitedWithin(timeoutMs: number, what: string): Promise<Exit> {
    const exit = await within(this.exited, timeoutMs);
    if (exit === undefined) {
      this.kill();
      throw new Error(
        `runner (pid ${this.child.pid}) did not exit within ${timeoutMs} ms ${what}; records: ${summary(this.records)}\nstderr: ${this.stderr.slice(-2000)}`,
      );
    }
    return exit;
  }

  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }

  /** Asks the runner to leave, as the engine does; it must within 5 s (then it is killed and this throws). */
  async shutdown(): Promise<void> {
    if (!this.exitedNow()) {
      this.send({ t: 'shutdown' });
      await this.exitedWithin(5000, 'after a shutdown command');
    }
  }
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** `p`'s value, or undefined once `ms` passed; the timer never outlives the wait. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<undefined>((res) => {
        timer = setTimeout(() => res(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function summary(rs: Rec[]): string {
  return rs
    .map((r) => r.t + ('step' in r ? (r as { step: number }).step : ''))
    .slice(-12)
    .join(' ');
}

export function episode(over: Partial<EpisodeCommand> & { episodeId: string }): EpisodeCommand {
  return {
    t: 'episode',
    seed: 1,
    maxSteps: 5,
    environment: { module: path.join(FIX, 'numpyEnv'), options: {} },
    agent: { module: path.join(FIX, 'constAgent'), options: {} },
    objective: null,
    recording: 'full',
    protocol: 'flag-only',
    detector: { kind: 'fixed', threshold: -1e9 },
    calibration: null,
    ...over,
  };
}

/** The increments of an episode's records, in step order: from step records or scores batches. */
export function increments(recs: Rec[]): number[] {
  const out: number[] = [];
  for (const r of recs) {
    if (r.t === 'step') {
      if (r.step !== out.length) throw new Error(`step ${r.step} out of order (expected ${out.length})`);
      out.push(r.increment);
    } else if (r.t === 'scores') {
      if (r.from !== out.length) throw new Error(`scores from ${r.from} out of order (expected ${out.length})`);
      out.push(...r.values!);
    }
  }
  return out;
}

export const fx = (name: string): string => path.join(FIX, name);
