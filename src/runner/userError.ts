// Turns whatever user code threw into a UserError that names the user's own file:line:col. Stacks
// are already mapped to the original .ts source (the runner runs with --enable-source-maps and
// modules are compiled with an inline source map), so the first frame outside the runner is theirs.
import type { UserError } from '../core/traceFormat';

const FRAME = /(?:\(|\s)((?:file:\/\/)?\/[^():]*(?::[^():\d][^():]*)*):(\d+):(\d+)\)?\s*$/;

function isRunnerFrame(file: string): boolean {
  return file === __filename || file.startsWith('node:') || file.includes('/node_modules/esbuild/');
}

/** The first frame in `stack` that points into user code. */
export function userFrame(stack: string): { file: string; line: number; column: number } | null {
  for (const raw of stack.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('at ')) continue;
    const m = FRAME.exec(line);
    if (!m) continue;
    const file = m[1].startsWith('file://') ? decodeURIComponent(m[1].slice(7)) : m[1];
    if (isRunnerFrame(file)) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return null;
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

export function toUserError(e: unknown, phase: string): UserError {
  let message: string;
  let stack: string | undefined;
  try {
    if (e instanceof Error) {
      message = `${e.name && e.name !== 'Error' ? e.name + ': ' : ''}${safeString(e.message)}`;
      stack = typeof e.stack === 'string' ? e.stack : undefined;
    } else {
      message = `non-Error value thrown: ${safeString(e)}`;
    }
  } catch {
    message = 'an exception whose message could not be read';
  }
  const err: UserError = { message: message.slice(0, 4000), phase };
  if (stack) {
    err.stack = stack.slice(0, 16_000);
    const at = userFrame(stack);
    if (at) Object.assign(err, at);
  }
  return err;
}
