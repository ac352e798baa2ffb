// User code that calls process.exit(), aborts, kills itself or throws from a callback would take the
// runner down with records still batched. These hooks flush them and report what happened first;
// then the process exits as asked and the engine classifies the exit.
import type { UserError } from '../core/traceFormat';
import { sendRecord } from './channel';
import { episodeState } from './episodeState';
import { toUserError, userFrame } from './userError';

type ExitFn = (code?: number) => never;
const proc = process as unknown as {
  reallyExit: (code?: number) => never;
  exit: ExitFn;
  abort: () => never;
  kill: typeof process.kill;
};
const realExit: ExitFn = proc.exit.bind(process);
const realReallyExit = proc.reallyExit.bind(process);
const realAbort = proc.abort.bind(process);
const realKill = proc.kill.bind(process);
let exiting = false;
const FATAL = new Set<string | number>([
  'SIGKILL',
  'SIGTERM',
  'SIGINT',
  'SIGABRT',
  'SIGQUIT',
  'SIGHUP',
  9,
  15,
  2,
  6,
  3,
  1,
]);

/** Flushes batched increments and reports `error` for the episode in progress, once. */
function report(error: UserError): void {
  const episodeId = episodeState.episodeId;
  if (!episodeId) return;
  episodeState.episodeId = null;
  try {
    episodeState.flush();
    sendRecord({ t: 'error', episodeId, error, fatal: true });
  } catch {
    // the engine is gone or the record could not be written; exiting is all that is left
  }
}

function callerError(message: string): UserError {
  const stack = new Error(message).stack ?? '';
  const at = userFrame(stack.split('\n').slice(2).join('\n'));
  return { message, phase: episodeState.phase, stack, ...(at ?? {}) };
}

/** The runner's own way out: bypasses the hooks. */
export function runnerExit(code: number): never {
  exiting = true;
  return realExit(code);
}

export function installExitGuard(): void {
  proc.exit = ((code?: number) => {
    if (!exiting) {
      exiting = true;
      const c = code ?? (typeof process.exitCode === 'number' ? process.exitCode : 0);
      report(callerError(`user code called process.exit(${c})`));
    }
    return realExit(code);
  }) as ExitFn;
  proc.reallyExit = ((code?: number) => {
    if (!exiting) report(callerError(`user code called process.reallyExit(${code ?? 0})`));
    return realReallyExit(code);
  }) as ExitFn;
  proc.abort = (() => {
    report(callerError('user code called process.abort()'));
    return realAbort();
  }) as () => never;
  proc.kill = ((pid: number, signal?: string | number) => {
    if ((pid === process.pid || pid === 0 || pid === -process.pid) && FATAL.has(signal ?? 'SIGTERM')) {
      report(callerError(`user code sent ${signal ?? 'SIGTERM'} to the runner process`));
    }
    return realKill(pid, signal);
  }) as typeof process.kill;
  process.on('uncaughtException', (e) => {
    const err = toUserError(e, episodeState.phase);
    process.stderr.write(`uncaught exception in user code: ${err.stack ?? err.message}\n`);
    report({ ...err, message: `uncaught exception: ${err.message}` });
    runnerExit(1);
  });
  process.on('unhandledRejection', (e) => {
    const err = toUserError(e, episodeState.phase);
    process.stderr.write(`unhandled promise rejection in user code: ${err.stack ?? err.message}\n`);
    report({ ...err, message: `unhandled promise rejection: ${err.message}` });
    runnerExit(1);
  });
}
