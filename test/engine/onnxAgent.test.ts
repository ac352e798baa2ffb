// ONNX agents through the real engine and runner children with onnxruntime-node: the shipped
// example (a CartPole policy trained by examples/trained-cartpole/train.py) balances the training pole
// and is flagged on the long deployment pole; options map observations and actions; shape and
// option mistakes are clear errors naming the model's input and the observation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { readTrace } from '../../src/core/traceReader';
import { cliRunner, type RunJson } from './cliRunner';
import { tempDir } from '../tempDirs';

const root = path.resolve(__dirname, '../..');
const example = path.join(root, 'examples/trained-cartpole');

/** A temp copy of the example's scenario parts (not its training script or results). */
function exampleCopy(agents?: Record<string, unknown>): string {
  const dir = tempDir('om-onnx-');
  for (const f of ['environment.ts', 'objective.ts', 'policy.onnx', 'cartpole.scenario.json'])
    fs.copyFileSync(path.join(example, f), path.join(dir, f));
  if (agents) {
    const file = path.join(dir, 'cartpole.scenario.json');
    const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    spec.agents = { ...spec.agents, ...agents };
    fs.writeFileSync(file, JSON.stringify(spec, null, 2));
  }
  return dir;
}

const om = cliRunner(180_000);

/** One cartpole episode of `agent` on `seed`, never flagged (a fixed threshold no score reaches). */
function oneEpisode(dir: string, agent: string, seed: number, ...more: string[]) {
  return om(
    dir,
    'run',
    'cartpole.scenario.json',
    '--agent',
    agent,
    '--seed',
    String(seed),
    '--detector',
    'fixed',
    '--threshold',
    '-1e9',
    ...more,
    '--json',
  );
}

test('the trained policy balances the training pole for the full 500 steps', () => {
  const dir = exampleCopy();
  const r = oneEpisode(dir, 'trained', 7, '--distribution', 'calibration');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [e] = (JSON.parse(r.stdout) as RunJson).episodes;
  assert.equal(e.reason, 'completed');
  assert.equal(e.steps, 500);
  const t = readTrace(fs.readFileSync(e.trace));
  assert.deepEqual(t.problems, []);
  assert.ok(
    t.steps.every((s) => s.action === 0 || s.action === 1),
    'actions mapped through options.actions [0, 1]',
  );
});

test('on the long deployment pole the trained policy is flagged before the pole falls', () => {
  const dir = exampleCopy();
  const r = om(dir, 'run', 'cartpole.scenario.json', '--agent', 'trained', '--episodes', '4', '--json');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const run = JSON.parse(r.stdout) as RunJson;
  assert.equal(run.episodes.length, 4);
  for (const e of run.episodes) {
    assert.equal(e.reason, 'flagged_stop', JSON.stringify(e));
    const t = readTrace(fs.readFileSync(e.trace));
    assert.equal(t.steps.at(-1)?.flag, true);
    assert.equal(
      t.steps.some((s) => s.terminated),
      false,
      `seed ${e.seed}: flagged at step ${e.flaggedStep}, before the pole fell`,
    );
    assert.deepEqual(e.harmSteps, [], `seed ${e.seed}: stopped before the harm (the scenario's "fell")`);
  }
});

test("harm: run --json counts the fall (info.fell, the scenario's harm key) when the episode runs on", () => {
  const dir = exampleCopy();
  const r = om(
    dir,
    'run',
    'cartpole.scenario.json',
    '--agent',
    'trained',
    '--episodes',
    '2',
    '--protocol',
    'flag-only',
    '--json',
  );
  assert.equal(r.code, 1, r.stdout + r.stderr);
  for (const e of (JSON.parse(r.stdout) as RunJson).episodes) {
    const t = readTrace(fs.readFileSync(e.trace));
    const last = t.steps.at(-1)!;
    assert.equal(last.terminated, true, `seed ${e.seed}: the pole fell on the long pole`);
    assert.deepEqual(e.harmSteps, [last.step], `seed ${e.seed}`);
    assert.deepEqual(t.end?.harmSteps, [last.step]);
    assert.deepEqual(last.info, { fell: true });
  }
});

test('"actions": "continuous" returns the output vector, exactly what onnxruntime computes on the observation', async () => {
  const dir = exampleCopy({ raw: { onnx: './policy.onnx', options: { actions: 'continuous' } } });
  const r = oneEpisode(dir, 'raw', 3);
  // The environment pushes right only for action 1; a vector is "not 1": the cart is pushed left
  // every step and the pole falls, which is fine here.
  assert.ok(r.code === 0 || r.code === 1, r.stdout + r.stderr);
  const [e] = (JSON.parse(r.stdout) as RunJson).episodes;
  const t = readTrace(fs.readFileSync(e.trace));
  const action = t.steps[0].action as number[];
  assert.ok(Array.isArray(action) && action.length === 2, `action ${JSON.stringify(action)}`);
  const session = await ort.InferenceSession.create(path.join(dir, 'policy.onnx'));
  const obs = Float32Array.from(t.reset!.observation as number[]);
  const out = await session.run({ observation: new ort.Tensor('float32', obs, [1, 4]) });
  assert.deepEqual(action, Array.from(out.logits.data as Float32Array));
});

test('observation mapping: a wrong number of values is an error naming the model input, its shape and the observation', () => {
  const dir = exampleCopy({ three: { onnx: './policy.onnx', options: { observation: ['0', '2', '3'] } } });
  const r = oneEpisode(dir, 'three', 1);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  const [e] = (JSON.parse(r.stdout) as RunJson).episodes;
  assert.equal(e.reason, 'crashed');
  assert.match(
    e.error!.message,
    /policy\.onnx: the model's input "observation" has shape \[batch, 4\], 4 numbers per observation, but the observation \[-?[\d.e-]+,-?[\d.e-]+,-?[\d.e-]+,-?[\d.e-]+\] flattens to 3 \(options\.observation: \["0","2","3"\]\)/,
  );
});

test('observation mapping by keys feeds the named values in order', () => {
  const dir = exampleCopy({
    mapped: { onnx: './policy.onnx', options: { observation: ['0', '1', '2', '3'], actions: [0, 1] } },
  });
  const r = oneEpisode(dir, 'mapped', 7, '--distribution', 'calibration');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((JSON.parse(r.stdout) as RunJson).episodes[0].steps, 500, 'the same policy, fed the same four values');
});

test('mistakes in options are errors that say what was expected', () => {
  const dir = exampleCopy({
    typo: { onnx: './policy.onnx', options: { action: [0, 1] } },
    three: { onnx: './policy.onnx', options: { actions: [0, 1, 2] } },
    missing: { onnx: './policy.onnx', options: { observation: ['pole.angle'] } },
  });
  const run = (agent: string) => {
    const r = oneEpisode(dir, agent, 1);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    return (JSON.parse(r.stdout) as RunJson).episodes[0].error!.message;
  };
  assert.match(
    run('typo'),
    /policy\.onnx: agent options: unknown option "action" \(expected input, output, observation, actions\)/,
  );
  assert.match(
    run('three'),
    /the model's output "logits" has 2 values \(shape \[1, 2\]\) but options\.actions lists 3 actions/,
  );
  assert.match(run('missing'), /options\.observation names "pole\.angle", which the observation \[.*\] does not have/);
});

test('a scenario naming a file that is not .onnx, or both module and onnx, is refused with file:line:col', () => {
  const dir = exampleCopy();
  const file = path.join(dir, 'cartpole.scenario.json');
  const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, JSON.stringify({ ...spec, agent: { onnx: './policy.pt' } }, null, 2));
  let r = om(dir, 'run', 'cartpole.scenario.json');
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /cartpole\.scenario\.json:\d+:\d+: agent\.onnx: expected a path to an \.onnx model relative to the scenario file/,
  );
  fs.writeFileSync(file, JSON.stringify({ ...spec, agent: { onnx: './policy.onnx', module: './x' } }, null, 2));
  r = om(dir, 'run', 'cartpole.scenario.json');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /agent: give either "module" or "onnx", not both/);
});
