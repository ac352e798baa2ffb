// The scenario file (NAME.scenario.json) as types. Validation with clear errors lives in
// scenarioValidate.ts; the published JSON Schema is media/scenario.schema.json.

import type { DetectorConfig } from './detectorConfig';

export interface ModuleRef {
  /** path relative to the scenario file; the extension may be omitted (.ts, .mts, .js, .mjs, .cjs, .py are tried) */
  module: string;
  options?: Record<string, unknown>;
}

/** An environment may instead be a registered Gymnasium environment (Python runner), made with
 *  `gymnasium.make(id, **options)`. */
export interface GymnasiumRef {
  gymnasium: string;
  options?: Record<string, unknown>;
}

export interface Distribution {
  seeds: { from: number; count: number };
  /** merged over the environment's options for this distribution */
  environment?: Record<string, unknown>;
}

/** What happens at the flag. A fallback replaces the agent's action from the flag on. */
export type ProtocolSpec = 'stop' | 'flag-only' | { fallback: unknown };

export interface ScenarioFile {
  $schema?: string;
  name: string;
  description?: string;
  environment: ModuleRef | GymnasiumRef;
  agent: ModuleRef;
  /** named alternative agents, chosen with `--agent NAME` (built-ins: aligned, misaligned) */
  agents?: Record<string, ModuleRef>;
  objective?: ModuleRef;
  maxSteps: number;
  calibration: Distribution;
  deployment: Distribution;
  /** defaults for the run; the CLI flags and VS Code settings override them */
  protocol?: ProtocolSpec;
  detector?: DetectorConfig;
  alpha?: number;
  /** defaults for the predictive guard (`run --guard`); `enabled: true` turns it on without the flag */
  guard?: ScenarioGuard;
  /** harmful events: a step whose info[info] is truthy (counted before the stop, reactive vs guarded) */
  harm?: { info: string };
}

export interface ScenarioGuard {
  enabled?: boolean;
  horizon?: number;
  rollouts?: number;
  quantile?: number;
  every?: number;
  below?: number;
  budgetMs?: number;
}

/** A scenario after validation, with module paths resolved to absolute files. */
export interface LoadedScenario {
  file: string;
  dir: string;
  /** sha256 of the scenario file's bytes */
  hash: string;
  spec: ScenarioFile;
  builtin: boolean;
}

export type DistributionName = 'calibration' | 'deployment';
