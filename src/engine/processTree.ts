// Finding and killing every process a runner started. `child.kill()` leaves grandchildren alive and a
// group kill misses one that started its own session (docs/reliability.md), so the tree is the union of
// the runner's process group, its descendants by ppid, and every process whose environment holds the
// runner's token (a double-forked daemon reparented to PID 1 still carries it). PID 1 here does not
// reap zombies, so a process in state Z counts as dead.
// The engine polls these files ten times a second while it records (runnerProcess.ts), on the core the
// runner does not use, so they are read into one reused buffer: readFileSync allocated 64 KiB per
// /proc file (they report size 0) plus an fstat, and a scan of every process made ~5 MB of garbage.
import fs from 'node:fs';

export const TOKEN_VAR = 'OBJECTIVE_MONITOR_TOKEN';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  /** start time in clock ticks since boot: tells a reused pid apart */
  start: number;
}

export interface TreeTarget {
  pid: number;
  /** the runner's process group (= its pid: it is spawned detached) */
  pgid: number;
  token: string;
  /** the runner's start time (clock ticks since boot), when known: a process started before it
   *  cannot have inherited its token, so the token scan skips it */
  start?: number;
}

/** The buffer every /proc read goes into (grown for a large environment, never shrunk below 4 KiB). */
let scratch = Buffer.allocUnsafe(4096);

/** Reads a /proc file into `scratch`; returns its length, or -1 when it cannot be read (the process
 *  is gone, or not ours). `whole` reads to end of file; otherwise a read shorter than the room offered
 *  ends it (a stat or status file is made in one piece, so one read(2) takes all of it). */
function readProc(file: string, whole: boolean): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return -1;
  }
  try {
    let len = 0;
    for (;;) {
      if (len === scratch.length) {
        const grown = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(grown, 0, 0, len);
        scratch = grown;
      }
      const room = scratch.length - len;
      const n = fs.readSync(fd, scratch, len, room, null);
      len += n;
      if (n === 0 || (!whole && n < room)) return len;
    }
  } catch {
    return -1;
  } finally {
    fs.closeSync(fd);
  }
}

export function readStat(pid: number): ProcInfo | null {
  const len = readProc(`/proc/${pid}/stat`, false);
  if (len < 0) return null;
  const s = scratch.toString('latin1', 0, len);
  // comm may hold spaces and parentheses: the fields start after the last ')'
  const close = s.lastIndexOf(')');
  const f = s.slice(close + 2).split(' ');
  return { pid, state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), start: Number(f[19]) };
}

export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const p = readStat(Number(name));
    if (p) out.push(p);
  }
  return out;
}

export function isDead(p: ProcInfo | null): boolean {
  return !p || p.state === 'Z' || p.state === 'X' || p.state === 'x';
}

/** Alive and still the same process (not a reused pid). */
export function isAlive(pid: number, start?: number): boolean {
  const p = readStat(pid);
  if (isDead(p)) return false;
  return start === undefined || p!.start === start;
}

/** The bytes a token holder's environment contains. */
const tokenEntry = (token: string): Buffer => Buffer.from(`${TOKEN_VAR}=${token}\0`, 'latin1');

export function hasToken(pid: number, token: string): boolean {
  return holds(pid, tokenEntry(token));
}

function holds(pid: number, entry: Buffer): boolean {
  const len = readProc(`/proc/${pid}/environ`, true);
  return len >= entry.length && scratch.subarray(0, len).indexOf(entry) >= 0;
}

/** Every live process of the tree: group members, descendants of the root, and token holders with
 *  their descendants. `withTokens` false skips the environ scan (the cheap variant for RSS polling). */
export function snapshotTree(target: TreeTarget, withTokens = true, procs: ProcInfo[] = listProcesses()): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    if (isDead(p)) continue;
    let list = children.get(p.ppid);
    if (!list) children.set(p.ppid, (list = []));
    list.push(p);
  }
  const found = new Map<number, ProcInfo>();
  const stack: ProcInfo[] = [];
  const add = (p: ProcInfo) => {
    if (found.has(p.pid) || p.pid === process.pid) return;
    found.set(p.pid, p);
    stack.push(p);
  };
  const addDescendants = () => {
    while (stack.length) for (const c of children.get(stack.pop()!.pid) ?? []) add(c);
  };
  for (const p of procs) {
    if (isDead(p)) continue;
    if ((target.pid > 1 && p.pid === target.pid) || (target.pgid > 1 && p.pgrp === target.pgid)) add(p);
  }
  addDescendants();
  if (withTokens) {
    // Only processes not found already, and none older than the runner: an environment is a copy
    // made at fork, so only the runner's own offspring carry its token.
    const entry = tokenEntry(target.token);
    const since = target.start ?? 0;
    for (const p of procs) {
      if (isDead(p) || found.has(p.pid) || p.start < since) continue;
      if (holds(p.pid, entry)) add(p);
    }
    addDescendants();
  }
  return [...found.values()];
}

function signal(pid: number, sig: NodeJS.Signals): void {
  // 0, 1 and -1 would mean our own group, init, or every process we may signal
  if (pid === 0 || pid === 1 || pid === -1 || pid === process.pid || pid === -process.pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

function signalAll(target: TreeTarget, procs: ProcInfo[], sig: NodeJS.Signals): void {
  if (target.pgid > 1) signal(-target.pgid, sig);
  for (const p of procs) {
    const now = readStat(p.pid);
    if (!isDead(now) && now!.start === p.start) signal(p.pid, sig);
    // a process in its own group may have children that share it
    if (p.pgrp === p.pid && p.pgrp !== target.pgid && p.pgrp > 1) signal(-p.pgrp, sig);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitDead(procs: ProcInfo[], ms: number): Promise<ProcInfo[]> {
  const until = Date.now() + ms;
  let alive = procs;
  for (;;) {
    alive = alive.filter((p) => isAlive(p.pid, p.start));
    if (!alive.length || Date.now() >= until) return alive;
    await sleep(25);
  }
}

export interface KillReport {
  /** processes found in the tree */
  found: number;
  /** still alive after SIGKILL (should be 0) */
  survivors: number;
  ms: number;
}

/** SIGTERM the tree, wait up to `graceMs`, SIGKILL whatever is left (rescanning for new forks). */
export async function killTree(target: TreeTarget, graceMs = 1500): Promise<KillReport> {
  const t0 = Date.now();
  const first = snapshotTree(target);
  signalAll(target, first, 'SIGTERM');
  let alive = await waitDead(first, graceMs);
  const again = snapshotTree(target);
  const seen = new Set(alive.map((p) => p.pid));
  for (const p of again) if (!seen.has(p.pid)) alive.push(p);
  if (alive.length) {
    signalAll(target, alive, 'SIGKILL');
    alive = await waitDead(alive, 1000);
    // forks racing the kill: one more sweep
    const late = snapshotTree(target);
    if (late.length) {
      signalAll(target, late, 'SIGKILL');
      alive = await waitDead(late, 500);
    }
  }
  return { found: first.length, survivors: alive.length, ms: Date.now() - t0 };
}

/** Synchronous SIGKILL of the whole tree, for process-exit paths that cannot wait. */
export function killTreeNow(target: TreeTarget): void {
  signalAll(target, snapshotTree(target), 'SIGKILL');
}

/** Resident memory of the given processes, bytes (VmRSS). */
export function rssOf(procs: ProcInfo[]): number {
  let total = 0;
  for (const p of procs) {
    // -1: exited between listing and reading
    const len = readProc(`/proc/${p.pid}/status`, false);
    const i = len < 0 ? -1 : scratch.subarray(0, len).indexOf('VmRSS:');
    if (i >= 0) total += parseInt(scratch.toString('latin1', i + 6, Math.min(len, i + 40)), 10) * 1024;
  }
  return total;
}
