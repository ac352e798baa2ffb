// Finds and loads a scenario: a path to a NAME.scenario.json, or the name of a built-in.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { parseScenario } from '../core/scenarioValidate';
import type { LoadedScenario, ModuleRef } from '../core/scenario';
import { resolveModulePath } from './index';
import type { AgentChoice } from './types';
import { UsageError } from './usageError';

/** dist/scenarios when bundled (dist/cli.js), src/scenarios when run from source. */
export function builtinScenariosDir(): string {
  const candidates = [path.join(__dirname, 'scenarios'), path.join(__dirname, '..', 'scenarios')];
  for (const c of candidates) if (fs.existsSync(path.join(c, 'racing'))) return c;
  return candidates[0];
}

export function builtinScenarioNames(): string[] {
  const dir = builtinScenariosDir();
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => fs.existsSync(path.join(dir, n, `${n}.scenario.json`)))
    .sort();
}

export function loadScenario(arg: string, cwd = process.cwd()): LoadedScenario {
  const builtins = builtinScenarioNames();
  let file: string;
  let builtin = false;
  if (!arg.includes('/') && !arg.includes('\\') && !arg.endsWith('.json') && builtins.includes(arg)) {
    file = path.join(builtinScenariosDir(), arg, `${arg}.scenario.json`);
    builtin = true;
  } else {
    file = path.resolve(cwd, arg);
    if (!fs.existsSync(file)) {
      const hint = builtins.length ? ` (built-in scenarios: ${builtins.join(', ')})` : '';
      throw new UsageError(`${arg}: no such scenario file or built-in scenario${hint}`);
    }
  }
  const bytes = fs.readFileSync(file);
  const spec = parseScenario(bytes.toString('utf8'), file);
  return {
    file,
    dir: path.dirname(file),
    hash: crypto.createHash('sha256').update(bytes).digest('hex'),
    spec,
    builtin,
  };
}

function resolveRef(scenario: LoadedScenario, ref: ModuleRef, what: string): string {
  try {
    return resolveModulePath(scenario.dir, ref.module);
  } catch (e) {
    throw new UsageError(`${scenario.file}: ${what} module "${ref.module}" not found: ${(e as Error).message}`);
  }
}

/** `--agent NAME` picks from the scenario's `agents`; anything else is a module path. */
export function resolveAgent(scenario: LoadedScenario, choice: string | undefined, cwd = process.cwd()): AgentChoice {
  const { spec } = scenario;
  if (choice === undefined) {
    const named = Object.entries(spec.agents ?? {}).find(([, ref]) => ref.module === spec.agent.module);
    return {
      name: named ? named[0] : 'agent',
      module: resolveRef(scenario, spec.agent, 'agent'),
      options: spec.agent.options ?? {},
    };
  }
  const ref = spec.agents?.[choice];
  if (ref) return { name: choice, module: resolveRef(scenario, ref, `agent "${choice}"`), options: ref.options ?? {} };
  const asPath = path.resolve(cwd, choice);
  try {
    return { name: choice, module: resolveModulePath(path.dirname(asPath), path.basename(asPath)), options: {} };
  } catch {
    const names = Object.keys(spec.agents ?? {});
    throw new UsageError(
      `--agent ${choice}: not an agent of scenario "${spec.name}"${names.length ? ` (${names.join(', ')})` : ''} and no module file at ${asPath}`,
    );
  }
}

export function seedRange(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
