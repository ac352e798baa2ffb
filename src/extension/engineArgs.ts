// Command lines for the engine child, built from the settings (config.ts). Flags the user left at
// "recorded"/unset are not passed, so the scenario's own choice applies (the CLI's rule).
import type { Config } from './config';

export interface RunTarget {
  /** built-in name or absolute scenario path */
  scenario: string;
  /** '' for the scenario's default agent */
  agent: string;
}

function detectorFlags(config: Config): string[] {
  const d = config.detector;
  const out: string[] = ['--alpha', String(config.alpha)];
  if (!d) return out;
  out.push('--detector', d.kind);
  if (d.kind === 'window') out.push('--window', String(d.window));
  if (d.kind === 'cusum') out.push('--cusum-k', String(d.k));
  if (d.kind === 'fixed') out.push('--threshold', String(d.threshold));
  return out;
}

/** `python`: the interpreter chosen for a scenario that needs Python (python.ts), else undefined. */
function commonFlags(config: Config, outDir: string, python: string | undefined): string[] {
  const l = config.limits;
  const out = [
    '--out',
    outDir,
    '--events',
    '--step-timeout',
    String(l.stepTimeoutMs),
    '--episode-timeout',
    String(l.episodeTimeoutMs),
    '--memory-limit',
    String(l.memoryLimitMb),
  ];
  if (python) out.push('--python', python);
  return out;
}

export function runArgs(
  config: Config,
  target: RunTarget,
  outDir: string,
  extra: { episodes?: number; seed?: number; distribution?: string; python?: string } = {},
): string[] {
  const args = ['run', target.scenario];
  if (target.agent) args.push('--agent', target.agent);
  if (extra.seed !== undefined) {
    args.push('--seed', String(extra.seed));
    if (extra.distribution) args.push('--distribution', extra.distribution);
  } else {
    args.push('--episodes', String(extra.episodes ?? config.episodes));
  }
  const protocol = config.protocol;
  if (protocol) args.push('--protocol', protocol);
  // a reference calibration (run.calibrationFile): the engine checks it still fits the scenario
  const reference = config.calibrationFile;
  if (reference) args.push('--calibration', reference);
  // the guard's settings go only with --guard (the engine refuses them alone); unset: the scenario's
  const g = config.guard;
  if (g.enabled === true) {
    args.push('--guard');
    if (g.horizon !== null) args.push('--horizon', String(g.horizon));
    if (g.rollouts !== null) args.push('--rollouts', String(g.rollouts));
  }
  return [...args, ...detectorFlags(config), ...commonFlags(config, outDir, extra.python)];
}

export function calibrateArgs(config: Config, target: RunTarget, outDir: string, python?: string): string[] {
  const args = ['calibrate', target.scenario];
  if (target.agent) args.push('--agent', target.agent);
  return [...args, '--alpha', String(config.alpha), ...commonFlags(config, outDir, python)];
}

/** `fork <trace> --step N --agent M` (issue 14): monitored as the parent was (its header), not by the settings. */
export function forkArgs(
  config: Config,
  trace: string,
  step: number,
  agent: string,
  outDir: string,
  python?: string,
): string[] {
  return ['fork', trace, '--step', String(step), '--agent', agent, ...commonFlags(config, outDir, python)];
}
