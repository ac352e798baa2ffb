// A PyTorch policy (TorchScript, examples/trained-cartpole/policy.pt, the same network as
// policy.onnx) as the agent of a Python scenario, through the engine and the Python runner: it
// balances Gymnasium's CartPole with the training pole and is flagged on the long deployment pole.
// Needs torch for python3 (scripts/setup.sh installs it); skips with a message without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readTrace } from '../../src/core/traceReader';
import { cliRunner, type RunJson } from './cliRunner';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');
const python = process.env.OBJECTIVE_MONITOR_PYTHON || 'python3';
const hasTorch =
  spawnSync(python, ['-c', 'import torch, gymnasium'], { encoding: 'utf8', timeout: 120_000 }).status === 0;
const skip = hasTorch
  ? false
  : `torch or gymnasium is not installed for ${python} (pip install torch gymnasium; scripts/setup.sh does)`;
// Importing torch takes seconds (tens on a loaded machine), before the first reset: allow it.
const LOAD_ALLOWANCE = ['--step-timeout', '120000'];

/** The example's Python scenario with its Gymnasium modules, calibrated on fewer seeds to stay quick. */
function exampleCopy(agents?: Record<string, unknown>): string {
  const dir = tempDir('om-torch-');
  fs.mkdirSync(path.join(dir, 'trained-cartpole'));
  fs.cpSync(path.join(root, 'examples/gymnasium/cartpole'), path.join(dir, 'gymnasium/cartpole'), { recursive: true });
  fs.copyFileSync(path.join(root, 'examples/trained-cartpole/policy.pt'), path.join(dir, 'trained-cartpole/policy.pt'));
  const spec = JSON.parse(
    fs.readFileSync(path.join(root, 'examples/trained-cartpole/cartpole-torch.scenario.json'), 'utf8'),
  );
  spec.calibration.seeds.count = 30;
  if (agents) spec.agents = { ...spec.agents, ...agents };
  fs.writeFileSync(path.join(dir, 'trained-cartpole/torch.scenario.json'), JSON.stringify(spec, null, 2));
  return path.join(dir, 'trained-cartpole');
}

const om = cliRunner(600_000);

test(
  'the TorchScript policy balances the training pole and is flagged on the long deployment pole before it falls',
  { skip },
  () => {
    const dir = exampleCopy();
    let r = om(
      dir,
      'run',
      'torch.scenario.json',
      '--agent',
      'trained',
      '--seed',
      '7',
      '--distribution',
      'calibration',
      '--detector',
      'fixed',
      '--threshold',
      '-1e9',
      '--json',
      ...LOAD_ALLOWANCE,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [train] = (JSON.parse(r.stdout) as RunJson).episodes;
    assert.deepEqual([train.reason, train.steps], ['completed', 500]);

    r = om(dir, 'run', 'torch.scenario.json', '--agent', 'trained', '--episodes', '2', '--json', ...LOAD_ALLOWANCE);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    for (const e of (JSON.parse(r.stdout) as RunJson).episodes) {
      assert.equal(e.reason, 'flagged_stop', JSON.stringify(e));
      const t = readTrace(fs.readFileSync(e.trace));
      assert.ok(
        t.steps.every((s) => s.action === 0 || s.action === 1),
        'actions mapped through options.actions',
      );
      assert.equal(
        t.steps.some((s) => s.terminated),
        false,
        `seed ${e.seed}: flagged at step ${e.flaggedStep}, before the pole fell`,
      );
      assert.deepEqual(e.harmSteps, [], `seed ${e.seed}: the scenario's harm ("fell") counted, none before the stop`);
    }
  },
);

test('a file that is not TorchScript and a wrong actions list are errors naming the file', { skip }, () => {
  const dir = exampleCopy({
    three: { module: './policy.pt', options: { actions: [0, 1, 2] } },
    broken: { module: './broken.pt' },
  });
  fs.writeFileSync(path.join(dir, 'broken.pt'), 'not a model');
  let r = om(
    dir,
    'run',
    'torch.scenario.json',
    '--agent',
    'broken',
    '--seed',
    '1',
    '--detector',
    'fixed',
    '--threshold',
    '-1e9',
    '--json',
    ...LOAD_ALLOWANCE,
  );
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    (JSON.parse(r.stdout) as RunJson).episodes[0].error!.message,
    /broken\.pt: not a TorchScript file \(save the policy with torch\.jit\.save/,
  );
  r = om(
    dir,
    'run',
    'torch.scenario.json',
    '--agent',
    'three',
    '--seed',
    '1',
    '--detector',
    'fixed',
    '--threshold',
    '-1e9',
    '--json',
    ...LOAD_ALLOWANCE,
  );
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    (JSON.parse(r.stdout) as RunJson).episodes[0].error!.message,
    /policy\.pt: the model's output has 2 values but options\.actions lists 3 actions/,
  );
});
