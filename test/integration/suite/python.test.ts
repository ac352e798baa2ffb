// Python scenarios from the extension (issue 5): the interpreter comes from the machine-scoped
// setting, else the Python extension, else python3, and reaches the engine as --python. A missing
// interpreter or a missing gymnasium is told once, with what to install, not once per episode.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Refusal } from '../../../src/extension/commands';
import type { RunOutcome } from '../../../src/extension/runController';
import { activateExtension, childProcesses, EXTENSION_ID, setSetting, workspaceRoot } from '../helpers';
import { log } from '../log';
import { copyScenario } from '../../scenarioCopy';

function traces(
  runId: string,
): { head: { environment: { module: string } }; steps: number; end: { type: string; reason: string } }[] {
  const dir = path.join(workspaceRoot(), '.objective-monitor', 'traces', runId);
  return fs.readdirSync(dir).map((f) => {
    const recs = fs
      .readFileSync(path.join(dir, f), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; reason: string });
    return {
      head: recs[0] as unknown as { environment: { module: string } },
      steps: recs.filter((r) => r.type === 'step').length,
      end: recs[recs.length - 1],
    };
  });
}

describe('Python scenarios', () => {
  let lake: string;
  let pole: string;
  let noGymnasium: string;

  before(async () => {
    await activateExtension();
    const root = workspaceRoot();
    const examples = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'examples', 'gymnasium');
    // Exactly the example's files (a calibration left beside it by hand must not come along).
    lake = copyScenario(
      path.join(examples, 'frozenlake', 'frozenlake.scenario.json'),
      path.join(root, 'py', 'frozenlake'),
      ['lakeDistance.py'],
    );
    // A registered Gymnasium id and a Python agent, small enough to run in a second.
    fs.writeFileSync(
      path.join(root, 'py', 'agent.py'),
      'def act(observation, info=None):\n    return 0 if observation[2] > 0 else 1\n',
    );
    pole = path.join(root, 'py', 'pole.scenario.json');
    fs.writeFileSync(
      pole,
      JSON.stringify({
        name: 'pole',
        environment: { gymnasium: 'CartPole-v1' },
        agent: { module: './agent.py' },
        maxSteps: 30,
        calibration: { seeds: { from: 0, count: 2 } },
        deployment: { seeds: { from: 100, count: 3 } },
        detector: { kind: 'fixed', threshold: -1000 },
      }),
    );
    // A real Python 3 that cannot see site-packages, so gymnasium is missing for it.
    noGymnasium = path.join(root, 'py', 'python-without-site');
    fs.writeFileSync(noGymnasium, '#!/bin/sh\nexec python3 -S "$@"\n', { mode: 0o755 });
  });

  afterEach(async () => {
    await setSetting('python.interpreter', undefined);
  });

  it('runs a Gymnasium example whose modules are Python, with python3 passed to the engine, and writes traces', async () => {
    const t0 = Date.now();
    const r = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario: lake,
      agent: 'misaligned',
      episodes: 2,
    });
    assert.ok(r && 'exit' in r, JSON.stringify(r));
    log(
      `frozenlake/misaligned (Python, with calibration): ${r.episodes} episodes in ${Date.now() - t0} ms, ${r.flagged} flagged`,
    );
    assert.deepEqual(r.failures, [], r.exit.stderr);
    assert.equal(r.args[r.args.indexOf('--python') + 1], 'python3', `args: ${r.args.join(' ')}`);
    assert.equal(r.episodes, 2);
    assert.ok(r.flagged >= 1, `flagged ${r.flagged}`);
    const ts = traces(r.runId!);
    assert.equal(ts.length, 2);
    for (const t of ts) {
      assert.match(t.head.environment.module, /environment\.py$/);
      assert.ok(t.steps > 0 && t.end.type === 'episode_end' && t.end.reason !== 'crashed', JSON.stringify(t.end));
    }
  });

  it('a JavaScript scenario gets no --python and starts no Python check', async () => {
    const r = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario: 'coin',
      agent: 'aligned',
      episodes: 1,
    });
    assert.ok(r && 'exit' in r, JSON.stringify(r));
    assert.ok(!r.args.includes('--python'), r.args.join(' '));
  });

  it('the interpreter setting pointing nowhere: refused at once with one message naming it and what to install; nothing spawned', async () => {
    await setSetting('python.interpreter', '/nonexistent/bin/python3');
    const before = childProcesses().filter((p) => p.cmd.includes('cli.js')).length;
    const r = await vscode.commands.executeCommand<Refusal>('objectiveMonitor.runScenario', {
      scenario: pole,
      agent: '',
      episodes: 1,
    });
    assert.equal(r.refused, 'python', JSON.stringify(r));
    assert.ok(
      r.message.includes('"/nonexistent/bin/python3" (from objectiveMonitor.python.interpreter) was not found'),
      r.message,
    );
    assert.match(r.message, /install Python 3 with `pip install gymnasium`/);
    assert.equal(childProcesses().filter((p) => p.cmd.includes('cli.js')).length, before);
  });

  it('an interpreter without gymnasium: a scenario with a Gymnasium id is refused before anything runs', async () => {
    await setSetting('python.interpreter', noGymnasium);
    const r = await vscode.commands.executeCommand<Refusal>('objectiveMonitor.runScenario', {
      scenario: pole,
      agent: '',
      episodes: 1,
    });
    assert.equal(r.refused, 'python', JSON.stringify(r));
    assert.match(r.message, /^gymnasium is not installed for \S+python\S*: pip install gymnasium/);
  });

  it('Python modules importing gymnasium under an interpreter without it: one message for the whole run, not one per episode', async () => {
    await setSetting('python.interpreter', noGymnasium);
    const r = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario: lake,
      agent: 'aligned',
      episodes: 2,
    });
    assert.ok(r && 'exit' in r, JSON.stringify(r));
    assert.equal(r.args[r.args.indexOf('--python') + 1], noGymnasium);
    assert.ok(r.failures.length >= 1, `failures: ${JSON.stringify(r.failures)}; stderr ${r.exit.stderr}`);
    assert.ok(
      r.problem,
      `one problem for all ${r.failures.length} failures: ${JSON.stringify(r.failures.map((f) => f.error?.message))}`,
    );
    assert.match(
      r.problem,
      /^gymnasium is not installed for \S+: pip install gymnasium .* \d+ episodes? could not start\.$/,
    );
    log(`missing gymnasium: ${r.failures.length} failed episodes, one message: ${r.problem}`);
  });
});
