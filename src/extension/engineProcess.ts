// The engine as a child process: `node dist/cli.js <command> ... --events`. User code never runs in
// the extension host; the engine (and the runner children it starts) do. The child gets its own
// process group so Stop Run and deactivate can kill it together with anything it left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { LineFramer } from '../core/framer';
import type { EngineEvent } from '../shared/engineEvents';
import { parseEngineEvent } from './engineEvents';

export interface EngineCommand {
  /** absolute path of dist/cli.js */
  cli: string;
  args: string[];
  cwd: string;
  /** Node executable: the machine-scoped setting, else VS Code's own (Electron as Node) */
  nodePath: string;
}

export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the last of stderr (usage errors, crashes of the engine itself) */
  stderr: string;
  /** Stop Run (or deactivate) killed it */
  stopped: boolean;
}

const STDERR_KEEP = 64 * 1024;

/** Started engine child. `events` fires for each valid event line; `done` settles once, on exit. */
export class EngineProcess {
  readonly done: Promise<EngineExit>;
  private readonly child: ChildProcess;
  private stopped = false;
  private stderrTail = '';
  private killTimer: NodeJS.Timeout | undefined;

  constructor(cmd: EngineCommand, onEvent: (e: EngineEvent) => void, onBadLine: (line: string) => void) {
    if (!fs.existsSync(cmd.cli))
      throw new Error(`The engine is missing: ${cmd.cli} does not exist (build the extension with "node esbuild.mjs")`);
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (cmd.nodePath === process.execPath && process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    else delete env.ELECTRON_RUN_AS_NODE;
    this.child = spawn(cmd.nodePath, [cmd.cli, ...cmd.args], {
      cwd: cmd.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const framer = new LineFramer({
      onLine: (line) => {
        if (line.length === 0) return;
        const e = parseEngineEvent(line);
        if (e) onEvent(e);
        else onBadLine(line);
      },
      onError: (err) => onBadLine(err.message),
    });
    this.child.stdout!.on('data', (b: Buffer) => framer.push(b));
    this.child.stderr!.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString('utf8')).slice(-STDERR_KEEP);
    });
    this.done = new Promise<EngineExit>((resolve) => {
      let settled = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(this.killTimer);
        // Anything left in the group (runner children of a killed engine) goes too.
        this.killGroup('SIGKILL');
        resolve({ code, signal, stderr: this.stderrTail, stopped: this.stopped });
      };
      this.child.once('error', (err) => {
        this.stderrTail += `\n${err.message}`;
        finish(null, null);
      });
      // 'close' (not 'exit'): stdout is fully read, so no event is lost.
      this.child.once('close', (code, signal) => finish(code, signal));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stop Run: SIGTERM lets the engine end open traces `killed_by_user`; SIGKILL after 3 s. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.killGroup('SIGTERM');
    this.killTimer = setTimeout(() => this.killGroup('SIGKILL'), 3000);
  }

  /** Deactivate: no time to wait. */
  kill(): void {
    this.stopped = true;
    this.killGroup('SIGTERM');
    this.killGroup('SIGKILL');
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      /* group gone */
    }
  }
}
