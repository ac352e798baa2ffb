// One runner child process: spawned detached (its own process group) with a token in its
// environment, records read from fd 3 through the capped framer and validated, control written to
// fd 4, user output captured apart, resident memory of its whole tree polled from /proc, and a kill
// that takes every descendant with it.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { LineFramer } from '../core/framer';
import { MAX_RECORD_BYTES, WIRE_VERSION, type ControlMessage, type HelloRecord, type RunnerRecord } from '../core/wire';
import { OutputCapture, type StreamName } from './outputCapture';
import { distDir } from './paths';
import {
  isAlive,
  killTree,
  killTreeNow,
  listProcesses,
  readStat,
  rssOf,
  snapshotTree,
  TOKEN_VAR,
  type KillReport,
  type ProcInfo,
  type TreeTarget,
} from './processTree';
import { checkRecordLine, excerpt } from './recordValidate';
import { registerRunner, unregisterRunner } from './staleRunners';

export type Runtime = 'node' | 'python';

export interface RunnerOptions {
  runtime: Runtime;
  python?: string;
  memoryLimitMb: number;
  cwd: string;
  /** called for user output (already rate-limited) */
  onLog?: (stream: StreamName, text: string) => void;
}

/** What the current episode receives from the child. */
export interface RunnerSink {
  /** `line` is the record's JSON text as received (the recorder may splice it into the trace) */
  record(rec: RunnerRecord, line: string): void;
  /** the payload of the last `scores` record */
  scores(values: Float64Array): void;
  /** a record failed validation; `bad` is the offending line, truncated */
  protocolError(message: string, bad: string): void;
  /** after each chunk of input: the moment to write the trace */
  chunkDone(): void;
  /** resident memory of the tree went over the limit */
  memoryExceeded(rssBytes: number): void;
  outputFlood(stream: StreamName, bytes: number): void;
  /** the runner reported its own end of this episode and may run the next one */
  readonly handsOver: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the spawn itself failed */
  spawnError?: string;
}

const RSS_POLL_MS = 100;
/** every Nth RSS poll lists every process in /proc to find the tree's new members; the polls between
 *  read only the members found last time. A full listing costs one open/read/close per process on the
 *  machine: with a few hundred processes (an IDE, a browser) that was ~15% of the engine's CPU. */
const FULL_SCAN_EVERY = 5;
/** every Nth RSS poll also scans environments for escaped token holders (costlier; a multiple of
 *  FULL_SCAN_EVERY) */
const TOKEN_SCAN_EVERY = 10;

export class RunnerProcess {
  readonly token = crypto.randomBytes(12).toString('hex');
  readonly child: ChildProcess;
  readonly output: OutputCapture;
  private readonly framer: LineFramer;
  private sink: RunnerSink | null = null;
  /** start the sinks of the episodes whose commands were sent ahead, in order (see queueNext) */
  private queued: Array<() => RunnerSink> = [];
  /** a queued start is running (it may queue the next one) */
  private handingOver = false;
  private hello: HelloRecord | null = null;
  private helloWaiters: Array<(err: string | null) => void> = [];
  /** set after a protocol error: everything else from this child is ignored */
  private broken = false;
  private rssTimer: NodeJS.Timeout;
  private rssTicks = 0;
  /** the tree as of the last full scan (pollRss) */
  private treeMembers: ProcInfo[] = [];
  exitInfo: ExitInfo | null = null;
  readonly exited: Promise<ExitInfo>;
  /** fd 3 reached end of file (the child and every holder of the pipe are gone) */
  readonly drained: Promise<void>;
  peakRss = 0;
  /** The id of the calibration last sent to this runner in an episode command (it keeps that one):
   *  commands after it name it instead of carrying it again (episodeCommandText). */
  calibrationSent: string | null = null;
  target: TreeTarget;
  private killing: Promise<KillReport> | null = null;
  private readonly memoryLimitBytes: number;
  /** onExit's callbacks still waiting; null once the exit has been delivered */
  private exitWatchers: Set<(info: ExitInfo) => void> | null = new Set();

  constructor(readonly opts: RunnerOptions) {
    const dist = distDir();
    const env: NodeJS.ProcessEnv = { ...process.env, [TOKEN_VAR]: this.token };
    let cmd: string;
    let args: string[];
    if (opts.runtime === 'node') {
      // Flags as arguments: NODE_OPTIONS is ignored under ELECTRON_RUN_AS_NODE, and a user's
      // NODE_OPTIONS must not change how the runner runs.
      delete env.NODE_OPTIONS;
      if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
      cmd = process.execPath;
      // The heap cap sits below the RSS limit so a pure heap blow-up ends with V8's own clear
      // "Reached heap limit" rather than the RSS poll; Buffers and native memory meet the RSS limit.
      args = [
        '--enable-source-maps',
        `--max-old-space-size=${Math.max(16, Math.floor(opts.memoryLimitMb * 0.75))}`,
        path.join(dist, 'runner.js'),
      ];
    } else {
      cmd = opts.python || 'python3';
      args = ['-u', path.join(dist, 'runner', 'python', 'runner.py')];
      env.PYTHONUNBUFFERED = '1';
    }
    this.memoryLimitBytes = opts.memoryLimitMb * 1024 * 1024;
    this.child = spawn(cmd, args, {
      cwd: opts.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const pid = this.child.pid ?? -1;
    // the child exists (unreaped) until its exit event is handled, so its start time can be read now
    const start = pid > 0 ? readStat(pid)?.start : undefined;
    this.target = { pid, pgid: pid, token: this.token, ...(start !== undefined ? { start } : {}) };
    if (pid > 0) registerRunner(this.target);

    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.once('error', (e) => {
        if (this.child.pid === undefined) {
          this.exitInfo = { code: null, signal: null, spawnError: `could not start ${cmd}: ${e.message}` };
          resolve(this.exitInfo);
        }
      });
    });
    void this.exited.then((info) => {
      const watchers = this.exitWatchers!;
      this.exitWatchers = null;
      for (const w of watchers) w(info);
    });
    void this.exited.then((info) =>
      this.failHello(
        info.spawnError ?? `runner exited (code ${info.code}, signal ${info.signal}) before its handshake`,
      ),
    );

    this.output = new OutputCapture({
      log: (stream, text) => opts.onLog?.(stream, text),
      flood: (stream, bytes) => this.sink?.outputFlood(stream, bytes),
    });
    this.output.attach('stdout', this.child.stdout);
    this.output.attach('stderr', this.child.stderr);

    this.framer = new LineFramer(
      {
        onLine: (line) => this.onLine(line),
        onBinary: (data) => this.onBinary(data),
        onError: (e) => this.protocolError(e.message, ''),
      },
      MAX_RECORD_BYTES,
    );
    const records = this.child.stdio[3] as Readable | null;
    this.drained = new Promise<void>((resolve) => {
      if (!records) return resolve();
      records.on('data', (chunk: Buffer) => {
        if (this.broken) return;
        this.framer.push(chunk);
        this.sink?.chunkDone();
      });
      records.on('error', () => {});
      records.once('close', () => resolve());
    });
    const control = this.child.stdio[4] as Writable | null;
    control?.on('error', () => {});

    this.rssTimer = setInterval(() => this.pollRss(), RSS_POLL_MS);
    this.rssTimer.unref();
    void this.exited.then(() => clearInterval(this.rssTimer));
  }

  /** Calls `cb` when the runner exits (soon, if it has already); the returned function stops the watch.
   *  An episode watches only while it runs: a reaction added to `exited` by each episode would stay
   *  until the runner exits, and with it the episode's recorder (~10 KB), for every episode a kept
   *  runner has run. */
  onExit(cb: (info: ExitInfo) => void): () => void {
    const watchers = this.exitWatchers;
    if (watchers === null) {
      let live = true;
      const info = this.exitInfo!;
      queueMicrotask(() => live && cb(info));
      return () => (live = false);
    }
    watchers.add(cb);
    return () => watchers.delete(cb);
  }

  get pid(): number {
    return this.target.pid;
  }

  get alive(): boolean {
    return this.exitInfo === null && !this.killing;
  }

  get isBroken(): boolean {
    return this.broken;
  }

  /** Resolves with null once the hello record arrived, or with why the child cannot be used. */
  handshake(timeoutMs: number): Promise<string | null> {
    if (this.hello) return Promise.resolve(null);
    if (this.exitInfo) return Promise.resolve(this.exitInfo.spawnError ?? 'runner exited before its handshake');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(`no handshake from the runner within ${timeoutMs} ms`), timeoutMs);
      this.helloWaiters.push((err) => {
        clearTimeout(timer);
        resolve(err);
      });
    });
  }

  private failHello(err: string | null): void {
    const w = this.helloWaiters;
    this.helloWaiters = [];
    for (const f of w) f(err);
  }

  attach(sink: RunnerSink | null): void {
    this.sink = sink;
    if (sink) this.output.resetEpisode();
  }

  /** Detaches `sink` if it is still the current one (a hand-over may already have replaced it). */
  detach(sink: RunnerSink): void {
    if (this.sink === sink) this.sink = null;
  }

  /** A later episode's command went out while the current one runs: the runner queues it and
   *  starts it the moment it ends the episodes before it, without waiting for a round trip through
   *  the engine (a round trip idled the runner for ~3 ms per episode, as long as 500 CartPole steps).
   *  Queued starts run in the order queued: each is called at its predecessor's own end record when
   *  that sink hands over (ended by the runner, child still trusted), or now if it already has.
   *  Every line after that end record then belongs to the next episode. */
  queueNext(start: () => RunnerSink): void {
    this.queued.push(start);
    // a start queued by the start running now waits for that episode's end
    if (!this.handingOver && this.queued.length === 1 && this.sink?.handsOver && !this.broken) this.handOver();
  }

  /** Forgets the queued episodes that were never started (their child is being replaced). */
  cancelQueued(): void {
    this.queued = [];
  }

  private handOver(): void {
    const start = this.queued.shift();
    if (!start) return;
    this.handingOver = true;
    try {
      this.attach(start());
    } catch {
      // e.g. the next trace could not be opened: this child is not used again, and the episode,
      // never opened, is run afresh by the caller (where the same failure then surfaces)
      this.broken = true;
    } finally {
      this.handingOver = false;
    }
  }

  /** Writes one control message; `msg` may be its JSON text already (episodeCommandText). */
  send(msg: ControlMessage | string): boolean {
    const control = this.child.stdio[4] as Writable | null;
    if (!control || control.destroyed || !control.writable) return false;
    control.write((typeof msg === 'string' ? msg : JSON.stringify(msg)) + '\n');
    return true;
  }

  private onLine(line: string): void {
    if (this.broken) return;
    const checked = checkRecordLine(line);
    if (!checked.ok) return this.protocolError(checked.message, line);
    const rec = checked.record;
    if (rec.t === 'hello') {
      if (this.hello) return this.protocolError('a second hello record', line);
      if (rec.wire !== WIRE_VERSION) {
        this.broken = true;
        return this.failHello(`runner speaks wire version ${rec.wire}; the engine speaks ${WIRE_VERSION}`);
      }
      this.hello = rec;
      return this.failHello(null);
    }
    if (!this.hello) return this.protocolError(`${rec.t} record before the hello handshake`, line);
    if (rec.t === 'scores') this.framer.expectBinary(rec.count * 8);
    if (!this.sink) return this.protocolError(`${rec.t} record while no episode is running`, line);
    const sink = this.sink;
    sink.record(rec, line);
    if (
      this.queued.length &&
      (rec.t === 'end' || rec.t === 'error') &&
      sink.handsOver &&
      this.sink === sink &&
      !this.broken
    )
      this.handOver();
  }

  private onBinary(data: Buffer): void {
    if (this.broken || !this.sink) return;
    const n = data.length / 8;
    let values: Float64Array;
    if (data.byteOffset % 8 === 0) values = new Float64Array(data.buffer, data.byteOffset, n);
    else {
      values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = data.readDoubleLE(i * 8);
    }
    this.sink.scores(values);
  }

  private protocolError(message: string, line: string): void {
    if (this.broken) return;
    this.broken = true;
    if (this.sink) this.sink.protocolError(message, excerpt(line));
    else if (!this.hello) this.failHello(`bad handshake: ${message}`);
  }

  private pollRss(): void {
    if (this.exitInfo || this.killing) return;
    const tick = this.rssTicks++;
    let tree: ProcInfo[];
    if (tick % FULL_SCAN_EVERY === 0) {
      tree = this.treeMembers = snapshotTree(this.target, tick % TOKEN_SCAN_EVERY === 0, listProcesses());
    } else {
      // still the same processes (a pid reused since would bill someone else's memory)
      tree = this.treeMembers.filter((p) => isAlive(p.pid, p.start));
    }
    const rss = rssOf(tree);
    if (rss > this.peakRss) this.peakRss = rss;
    if (rss > this.memoryLimitBytes) this.sink?.memoryExceeded(rss);
  }

  /** Kills the child and every descendant (SIGTERM, grace, SIGKILL); waits for its exit. */
  kill(graceMs = 1500): Promise<KillReport> {
    if (!this.killing) {
      this.killing = (async () => {
        const report = await killTree(this.target, graceMs);
        await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1000).unref())]);
        this.dispose();
        return report;
      })();
    }
    return this.killing;
  }

  /** Immediate SIGKILL of the tree, for exit paths that cannot wait. */
  killNow(): void {
    killTreeNow(this.target);
    this.dispose();
  }

  /** Asks the child to exit, then makes sure its whole tree is gone. */
  async shutdown(): Promise<void> {
    if (this.exitInfo === null && !this.killing) {
      this.send({ t: 'shutdown' });
      (this.child.stdio[4] as Writable | null)?.end();
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    // grandchildren started by user code outlive a clean runner exit
    await this.kill(200);
  }

  private dispose(): void {
    clearInterval(this.rssTimer);
    this.output.dispose();
    unregisterRunner(this.token);
  }
}
