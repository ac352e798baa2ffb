// The extension's guard settings reach the engine's command line: --guard only when enabled, with
// horizon and rollouts only when set (unset: the scenario's defaults apply).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config, GuardSettings } from '../../src/extension/config';
import { runArgs } from '../../src/extension/engineArgs';

function config(guard: GuardSettings): Config {
  return {
    detector: null,
    alpha: 0.05,
    protocol: null,
    episodes: 10,
    calibrationFile: null,
    guard,
    limits: { stepTimeoutMs: 5000, episodeTimeoutMs: 300000, memoryLimitMb: 2048 },
  } as unknown as Config;
}
const target = { scenario: 'racing', agent: 'misaligned' };

test('guard settings: --guard --horizon --rollouts when enabled; nothing when unset or off', () => {
  const on = runArgs(config({ enabled: true, horizon: 12, rollouts: 3 }), target, '/o');
  assert.deepEqual(on.slice(on.indexOf('--guard'), on.indexOf('--guard') + 5), [
    '--guard',
    '--horizon',
    '12',
    '--rollouts',
    '3',
  ]);
  const defaults = runArgs(config({ enabled: true, horizon: null, rollouts: null }), target, '/o');
  assert.ok(defaults.includes('--guard'));
  assert.ok(!defaults.includes('--horizon') && !defaults.includes('--rollouts'));
  for (const enabled of [false, null]) {
    const off = runArgs(config({ enabled, horizon: 12, rollouts: 3 }), target, '/o');
    assert.ok(!off.includes('--guard') && !off.includes('--horizon'), `enabled ${enabled}`);
  }
});
