// Which Python runs a scenario's Python modules (issue 5): the machine-scoped setting
// objectiveMonitor.python.interpreter; else the interpreter selected in the Python extension
// (ms-python.python), asked through its public API and activated only when a scenario needs Python;
// else `python3`. Before a run the interpreter is checked once, so a missing interpreter or a
// missing gymnasium gives one message saying what to install instead of one error per episode.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { MODULE_EXTENSIONS } from '../core/moduleApi';

export const PYTHON_EXTENSION_ID = 'ms-python.python';
const CHECK_TIMEOUT_MS = 20_000;

export interface PythonNeed {
  /** some module is Python, or the environment is a Gymnasium id */
  python: boolean;
  /** the environment is {"gymnasium": id}: gymnasium itself must import */
  gymnasium: boolean;
}

export interface Interpreter {
  command: string;
  source: 'setting' | 'python-extension' | 'default';
}

/** What a scenario (with the chosen agent) needs, from its file alone: nothing is loaded or run. */
export function scenarioNeeds(scenarioFile: string, agent: string): PythonNeed {
  let spec: Record<string, unknown>;
  try {
    spec = JSON.parse(fs.readFileSync(scenarioFile, 'utf8')) as Record<string, unknown>;
  } catch {
    return { python: false, gymnasium: false }; // the engine reports a bad file itself
  }
  const dir = path.dirname(scenarioFile);
  const moduleOf = (x: unknown): string | undefined => {
    const m = typeof x === 'object' && x !== null ? (x as { module?: unknown }).module : undefined;
    return typeof m === 'string' ? m : undefined;
  };
  const env = spec.environment;
  const gymnasium =
    typeof env === 'object' && env !== null && typeof (env as { gymnasium?: unknown }).gymnasium === 'string';
  const agents =
    typeof spec.agents === 'object' && spec.agents !== null ? (spec.agents as Record<string, unknown>) : {};
  const agentModule = agent === '' ? moduleOf(spec.agent) : agent in agents ? moduleOf(agents[agent]) : agent; // a module file given directly
  const modules = [moduleOf(env), agentModule, moduleOf(spec.objective)].filter((m): m is string => !!m);
  const python = gymnasium || modules.some((m) => isPythonModule(path.resolve(dir, m)));
  return { python, gymnasium };
}

/** The engine's resolution (engine/paths.ts resolveModulePath): the extension given, else the first that exists. */
function isPythonModule(base: string): boolean {
  const ext = path.extname(base);
  if (MODULE_EXTENSIONS.includes(ext)) return ext === '.py';
  for (const e of ['', ...MODULE_EXTENSIONS]) {
    try {
      if (fs.statSync(base + e).isFile()) return (e || ext) === '.py';
    } catch {
      // next candidate
    }
  }
  return false;
}

/** The subset of the Python extension's public API used here (ms-python.python, `environments`). */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri | vscode.WorkspaceFolder): { id: string; path: string } | undefined;
    resolveEnvironment(
      env: { id: string; path: string } | string,
    ): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

/** Called only when a scenario needs Python: the setting, else the Python extension (activated now,
 *  not before), else python3. */
export async function resolveInterpreter(
  setting: string,
  resource: vscode.Uri | undefined,
  log: (m: string) => void,
): Promise<Interpreter> {
  if (setting) return { command: setting, source: 'setting' };
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (ext) {
    try {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const envs = api?.environments;
      const active = envs?.getActiveEnvironmentPath(resource);
      if (envs && active) {
        const resolved = await envs.resolveEnvironment(active);
        const exe = resolved?.executable?.uri?.fsPath;
        if (exe) return { command: exe, source: 'python-extension' };
        log(`the Python extension's environment ${active.path} has no executable; using python3`);
      }
    } catch (e) {
      log(`the Python extension did not give an interpreter (${(e as Error).message}); using python3`);
    }
  }
  return { command: 'python3', source: 'default' };
}

export type InterpreterCheck = { ok: true; executable: string; version: string } | { ok: false; message: string };

const PROBE = [
  'import sys, json',
  'g = None',
  'try:',
  '    import gymnasium',
  '    g = getattr(gymnasium, "__version__", "?")',
  'except Exception:',
  '    pass',
  'print(json.dumps([sys.executable, "%d.%d.%d" % sys.version_info[:3], g]))',
].join('\n');

const HOW_TO_CHOOSE =
  'set "objectiveMonitor.python.interpreter" (user settings) to its path, or select an interpreter with the Python extension';

/** Runs the interpreter once: it must start, be Python 3, and (when needed) import gymnasium. */
export function checkInterpreter(interp: Interpreter, need: PythonNeed): Promise<InterpreterCheck> {
  const from =
    interp.source === 'setting'
      ? ' (from objectiveMonitor.python.interpreter)'
      : interp.source === 'python-extension'
        ? ' (selected in the Python extension)'
        : '';
  return new Promise((resolve) => {
    execFile(
      interp.command,
      ['-c', PROBE],
      { timeout: CHECK_TIMEOUT_MS, windowsHide: true, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          resolve({
            ok: false,
            message: `Python interpreter "${interp.command}"${from} was not found. This scenario runs Python modules: install Python 3 with \`pip install gymnasium\`, then ${HOW_TO_CHOOSE}.`,
          });
          return;
        }
        if (err && (err as NodeJS.ErrnoException).code === 'EACCES') {
          resolve({
            ok: false,
            message: `Python interpreter "${interp.command}"${from} cannot be executed (permission denied); ${HOW_TO_CHOOSE}.`,
          });
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '');
        } catch {
          parsed = undefined;
        }
        if (err || !Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') {
          const why = (stderr || (err as Error | null)?.message || stdout).trim().split('\n').slice(-2).join(' ');
          resolve({
            ok: false,
            message: `"${interp.command}"${from} did not run as Python 3 (${why.slice(0, 300)}); ${HOW_TO_CHOOSE}.`,
          });
          return;
        }
        const [executable, version, gym] = parsed as [string, string, string | null];
        if (!version.startsWith('3.')) {
          resolve({
            ok: false,
            message: `"${interp.command}"${from} is Python ${version}; Python 3 is needed. ${HOW_TO_CHOOSE}.`,
          });
          return;
        }
        if (need.gymnasium && gym === null) {
          resolve({
            ok: false,
            message: `gymnasium is not installed for ${executable}: pip install gymnasium (run \`"${executable}" -m pip install gymnasium\`), or ${HOW_TO_CHOOSE}.`,
          });
          return;
        }
        resolve({ ok: true, executable, version });
      },
    );
  });
}

/** The engine's per-episode message for a missing gymnasium (runner/python/omModules.py). */
const MISSING_GYMNASIUM = /gymnasium is not installed for (.+?): pip install gymnasium/;

/** The interpreter named by a missing-gymnasium episode error, if that is what it is. */
export function missingGymnasium(message: string | undefined): string | undefined {
  return message ? MISSING_GYMNASIUM.exec(message)?.[1] : undefined;
}
