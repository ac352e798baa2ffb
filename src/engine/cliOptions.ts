// Command-line flags shared by the commands, parsed with node's util.parseArgs, and turned into
// engine settings. Every bad value is a UsageError naming the flag and what was expected.
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DetectorConfig, DetectorKind } from '../core/detectorConfig';
import { DEFAULT_ALPHA, DEFAULT_CUSUM_K, DEFAULT_WINDOW } from '../core/detectorConfig';
import type { DistributionName, LoadedScenario, ProtocolSpec } from '../core/scenario';
import type { Recording } from '../core/traceFormat';
import type { CalibrateOptions } from './calibrationStore';
import type { CliOutput } from './cliOutput';
import { DEFAULT_LIMITS, type AgentChoice, type Limits } from './types';
import { UsageError } from './usageError';

export const DEFAULT_DETECTOR: DetectorKind = 'cusum';

const optionSpec = {
  agent: { type: 'string' },
  calibration: { type: 'string' },
  alpha: { type: 'string' },
  detector: { type: 'string' },
  window: { type: 'string' },
  'cusum-k': { type: 'string' },
  threshold: { type: 'string' },
  episodes: { type: 'string' },
  seed: { type: 'string' },
  step: { type: 'string' },
  distribution: { type: 'string' },
  protocol: { type: 'string' },
  recording: { type: 'string' },
  out: { type: 'string' },
  workers: { type: 'string' },
  'step-timeout': { type: 'string' },
  'episode-timeout': { type: 'string' },
  'memory-limit': { type: 'string' },
  python: { type: 'string' },
  guard: { type: 'boolean' },
  horizon: { type: 'string' },
  rollouts: { type: 'string' },
  quantile: { type: 'string' },
  'guard-every': { type: 'string' },
  'guard-below': { type: 'string' },
  'guard-budget': { type: 'string' },
  'guard-record': { type: 'string' },
  curves: { type: 'boolean' },
  junit: { type: 'string' },
  sarif: { type: 'string' },
  json: { type: 'boolean' },
  events: { type: 'boolean' },
  recalibrate: { type: 'boolean' },
  shard: { type: 'string' },
  output: { type: 'string', short: 'o' },
  stdio: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Flags = {
  [K in keyof typeof optionSpec]?: (typeof optionSpec)[K]['type'] extends 'boolean' ? boolean : string;
};

export function parseCommandLine(argv: string[]): { command: string | undefined; positionals: string[]; flags: Flags } {
  // `--threshold -5` is what people type; parseArgs would read -5 as a flag.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    const spec = (optionSpec as Record<string, { type: string }>)[name];
    if (spec?.type === 'string' && i + 1 < argv.length && /^-\d|^-\.\d|^-Infinity$/.test(argv[i + 1])) {
      args.push(`${argv[i]}=${argv[++i]}`);
    } else args.push(argv[i]);
  }
  try {
    const { values, positionals } = parseArgs({ args, options: optionSpec, allowPositionals: true, strict: true });
    return { command: positionals[0], positionals: positionals.slice(1), flags: values as Flags };
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0].replace(/\.$/, '')}; see objective-monitor --help`);
  }
}

export function num(
  flag: string,
  v: string | undefined,
  check: (n: number) => boolean,
  expected: string,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag} ${v}: expected ${expected}`);
  return n;
}

export const isPositiveInt = (n: number) => Number.isInteger(n) && n >= 1;

export function alphaOf(flags: Flags, scenario: LoadedScenario): number {
  return (
    num('alpha', flags.alpha, (n) => n > 0 && n < 1, 'a number between 0 and 1, e.g. 0.05') ??
    scenario.spec.alpha ??
    DEFAULT_ALPHA
  );
}

export function detectorOf(flags: Flags, scenario: LoadedScenario): DetectorConfig {
  const kinds = ['envelope', 'window', 'cusum', 'fixed'];
  if (flags.detector !== undefined && !kinds.includes(flags.detector)) {
    throw new UsageError(`--detector ${flags.detector}: expected one of ${kinds.join(', ')}`);
  }
  const fromFile = scenario.spec.detector;
  const kind = (flags.detector ??
    fromFile?.kind ??
    (flags.threshold !== undefined ? 'fixed' : DEFAULT_DETECTOR)) as DetectorKind;
  const fileParam = <T extends PropertyKey>(k: T) =>
    fromFile && fromFile.kind === kind ? (fromFile as Record<T, number>)[k] : undefined;
  switch (kind) {
    case 'envelope':
      return { kind };
    case 'window':
      return {
        kind,
        window:
          num('window', flags.window, isPositiveInt, 'a positive whole number of steps') ??
          fileParam('window') ??
          DEFAULT_WINDOW,
      };
    case 'cusum':
      return {
        kind,
        k:
          num('cusum-k', flags['cusum-k'], (n) => n >= 0, 'a number >= 0 (standard deviations of slack)') ??
          fileParam('k') ??
          DEFAULT_CUSUM_K,
      };
    case 'fixed': {
      const threshold = num('threshold', flags.threshold, () => true, 'a number') ?? fileParam('threshold');
      if (threshold === undefined)
        throw new UsageError(
          '--detector fixed needs --threshold H (the running-objective level below which a step is flagged)',
        );
      return { kind, threshold };
    }
  }
}

export function protocolOf(flags: Flags, scenario: LoadedScenario): ProtocolSpec {
  if (flags.protocol === undefined) return scenario.spec.protocol ?? 'stop';
  if (flags.protocol === 'stop' || flags.protocol === 'flag-only') return flags.protocol;
  if (flags.protocol === 'fallback') {
    const p = scenario.spec.protocol;
    if (p && typeof p === 'object') return p;
    throw new UsageError(
      `--protocol fallback: scenario "${scenario.spec.name}" names no fallback action ("protocol": { "fallback": ACTION })`,
    );
  }
  throw new UsageError(`--protocol ${flags.protocol}: expected stop, flag-only or fallback`);
}

export function recordingOf(flags: Flags, fallback: Recording): Recording {
  if (flags.recording === undefined) return fallback;
  if (flags.recording === 'full' || flags.recording === 'scores') return flags.recording;
  throw new UsageError(`--recording ${flags.recording}: expected full or scores`);
}

export function episodesOf(flags: Flags, available: number): number | undefined {
  return num(
    'episodes',
    flags.episodes,
    isPositiveInt,
    `a positive whole number (the deployment distribution has ${available} seeds)`,
  );
}

/** `--seed S [--distribution D]`: exactly one episode (Re-run Episode); otherwise null. */
export function singleSeedOf(flags: Flags): { seed: number; distribution: DistributionName } | null {
  if (flags.distribution !== undefined && flags.distribution !== 'calibration' && flags.distribution !== 'deployment') {
    throw new UsageError(`--distribution ${flags.distribution}: expected calibration or deployment`);
  }
  const seed = num(
    'seed',
    flags.seed,
    (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff,
    'a whole number from 0 to 4294967295',
  );
  if (seed === undefined) {
    if (flags.distribution !== undefined)
      throw new UsageError('--distribution is used with --seed S (to re-run one episode)');
    return null;
  }
  if (flags.episodes !== undefined) throw new UsageError('--seed runs one episode; leave out --episodes');
  return { seed, distribution: (flags.distribution ?? 'deployment') as DistributionName };
}

export function workersOf(flags: Flags): number | undefined {
  return num('workers', flags.workers, isPositiveInt, 'a positive whole number of runner processes');
}

export function limitsOf(flags: Flags): Limits {
  return {
    ...DEFAULT_LIMITS,
    stepTimeoutMs:
      num('step-timeout', flags['step-timeout'], (n) => n > 0, 'milliseconds > 0') ?? DEFAULT_LIMITS.stepTimeoutMs,
    episodeTimeoutMs:
      num('episode-timeout', flags['episode-timeout'], (n) => n > 0, 'milliseconds > 0') ??
      DEFAULT_LIMITS.episodeTimeoutMs,
    memoryLimitMb:
      num('memory-limit', flags['memory-limit'], (n) => n >= 64, 'megabytes >= 64') ?? DEFAULT_LIMITS.memoryLimitMb,
  };
}

export function outDirOf(flags: Flags, cwd = process.cwd()): string {
  return path.resolve(cwd, flags.out ?? '.objective-monitor');
}

/** A calibration's options from the command line (calibrate, run/report's implicit calibration,
 *  a calibration shard). Its episodes are not shown one by one in the event stream: only progress,
 *  their ends, logs and warnings. */
export function calibrateOptionsOf(
  scenario: LoadedScenario,
  agent: AgentChoice,
  flags: Flags,
  out: CliOutput,
  signal?: AbortSignal,
): CalibrateOptions {
  return {
    scenario,
    agent,
    alpha: alphaOf(flags, scenario),
    outDir: outDirOf(flags),
    limits: limitsOf(flags),
    workers: workersOf(flags),
    python: flags.python,
    signal,
    onEvent: (e) => {
      if (e.type === 'episode_end' || e.type === 'log' || e.type === 'warning' || e.type === 'scene_problem')
        out.event(e);
    },
  };
}

export { DEFAULT_CUSUM_K, DEFAULT_WINDOW };
