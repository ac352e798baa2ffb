// The guard's command-line flags and scenario defaults turned into a GuardConfig:
// `--guard [--horizon H] [--rollouts N] [--quantile Q] [--guard-every K] [--guard-below L]
// [--guard-budget MS] [--guard-record fired|all]`; the scenario's "guard" block gives defaults and
// `"enabled": true` turns it on without --guard. The margin comes from the calibration (guard section).
import { DEFAULT_GUARD, MAX_HORIZON, type GuardConfig } from '../core/guardTypes';
import type { LoadedScenario } from '../core/scenario';
import { type Flags, isPositiveInt, num } from './cliOptions';
import { UsageError } from './usageError';

const GUARD_DETAIL_FLAGS = [
  'horizon',
  'rollouts',
  'quantile',
  'guard-every',
  'guard-below',
  'guard-budget',
  'guard-record',
] as const;

/** The guard asked for (flags over the scenario's defaults), margin 0; null when it is not asked for. */
export function guardOf(flags: Flags, scenario: LoadedScenario): GuardConfig | null {
  const d = scenario.spec.guard ?? {};
  const on = flags.guard === true || d.enabled === true;
  if (!on) {
    const stray = GUARD_DETAIL_FLAGS.find((f) => flags[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} sets the predictive guard; add --guard to run with it`);
    return null;
  }
  const record = flags['guard-record'] ?? 'fired';
  if (record !== 'fired' && record !== 'all') throw new UsageError(`--guard-record ${record}: expected fired or all`);
  return {
    ...DEFAULT_GUARD,
    horizon:
      num(
        'horizon',
        flags.horizon,
        (n) => isPositiveInt(n) && n <= MAX_HORIZON,
        `a whole number of steps from 1 to ${MAX_HORIZON}`,
      ) ??
      d.horizon ??
      DEFAULT_GUARD.horizon,
    rollouts:
      num(
        'rollouts',
        flags.rollouts,
        (n) => isPositiveInt(n) && n <= 1000,
        'a whole number of rollouts from 1 to 1000',
      ) ??
      d.rollouts ??
      DEFAULT_GUARD.rollouts,
    quantile:
      num(
        'quantile',
        flags.quantile,
        (n) => n > 0 && n <= 1,
        "a number in (0, 1] (the rollouts' quantile used as the prediction)",
      ) ??
      d.quantile ??
      null,
    every:
      num('guard-every', flags['guard-every'], isPositiveInt, 'a positive whole number of steps') ??
      d.every ??
      DEFAULT_GUARD.every,
    below:
      num(
        'guard-below',
        flags['guard-below'],
        () => true,
        'a number (look ahead only when the running objective is less than this above the threshold)',
      ) ??
      d.below ??
      null,
    budgetMs: num('guard-budget', flags['guard-budget'], (n) => n > 0, 'milliseconds > 0') ?? d.budgetMs ?? null,
    record,
  };
}

/** Words for the guard's settings, in run summaries. */
export function guardText(g: GuardConfig): string {
  const parts = [`horizon ${g.horizon}`, `${g.rollouts} rollout${g.rollouts === 1 ? '' : 's'}`];
  if (g.quantile !== null) parts.push(`quantile ${g.quantile}`);
  if (g.every > 1) parts.push(`every ${g.every} steps`);
  if (g.below !== null) parts.push(`below margin ${g.below}`);
  if (g.budgetMs !== null) parts.push(`budget ${g.budgetMs} ms`);
  parts.push(`margin ${g.margin}`);
  return parts.join(', ');
}
