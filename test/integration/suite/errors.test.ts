// Bad input and failing user code give clear errors naming the file and place.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Refusal } from '../../../src/extension/commands';
import type { RunOutcome } from '../../../src/extension/runController';
import { activateExtension, childProcesses, workspaceRoot } from '../helpers';

describe('errors', () => {
  let dir: string;
  before(async () => {
    await activateExtension();
    dir = path.join(workspaceRoot(), 'bad');
    fs.mkdirSync(dir, { recursive: true });
  });

  it('a scenario file that is not JSON is refused before anything is spawned, naming the file', async () => {
    const file = path.join(dir, 'broken.scenario.json');
    fs.writeFileSync(file, '{ "name": "broken", ');
    const before = childProcesses().filter((p) => p.cmd.includes('cli.js')).length;
    const r = await vscode.commands.executeCommand<Refusal>('objectiveMonitor.runScenario', {
      scenario: file,
      agent: '',
    });
    assert.equal(r.refused, 'invalid');
    assert.ok(r.message.includes(file), r.message);
    assert.match(r.message, /not valid JSON/);
    assert.equal(childProcesses().filter((p) => p.cmd.includes('cli.js')).length, before);
  });

  it("a scenario the engine rejects reports the engine's message", async () => {
    const file = path.join(dir, 'incomplete.scenario.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'incomplete', maxSteps: 10 }, null, 2));
    const r = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario: file,
      agent: '',
    });
    assert.ok('exit' in r, JSON.stringify(r));
    assert.equal(r.exit.code, 2);
    assert.ok(r.exit.stderr.includes('incomplete.scenario.json'), r.exit.stderr);
    assert.match(r.exit.stderr, /environment/);
  });

  it('an exception in the agent ends the episode `crashed` with the file and line of the throw', async () => {
    const scenarioDir = path.join(dir, 'throws');
    fs.mkdirSync(scenarioDir, { recursive: true });
    fs.writeFileSync(
      path.join(scenarioDir, 'env.ts'),
      [
        'export default function () {',
        '  let t = 0;',
        '  return {',
        '    reset() { t = 0; return { observation: 0 }; },',
        '    step() { t++; return { observation: t, reward: 1, terminated: t >= 20 }; },',
        '  };',
        '}',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(scenarioDir, 'agent.ts'),
      [
        'export default function () {',
        '  return {',
        '    act(o: number) {',
        '      if (o === 3) throw new Error("agent gave up at observation 3");',
        '      return 1;',
        '    },',
        '  };',
        '}',
      ].join('\n'),
    );
    const file = path.join(scenarioDir, 'throws.scenario.json');
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          name: 'throws',
          environment: { module: './env' },
          agent: { module: './agent' },
          maxSteps: 20,
          calibration: { seeds: { from: 0, count: 2 } },
          deployment: { seeds: { from: 100, count: 1 } },
          detector: { kind: 'fixed', threshold: -1000 },
        },
        null,
        2,
      ),
    );
    const r = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario: file,
      agent: '',
      episodes: 1,
    });
    assert.ok('exit' in r, JSON.stringify(r));
    assert.equal(r.failures.length, 1, `failures: ${JSON.stringify(r.failures)} stderr: ${r.exit.stderr}`);
    const f = r.failures[0];
    assert.equal(f.reason, 'crashed');
    assert.match(f.error?.message ?? '', /agent gave up at observation 3/);
    assert.equal(f.error?.file, path.join(scenarioDir, 'agent.ts'));
    assert.equal(f.error?.line, 4);
    // the error is a diagnostic at that line of agent.ts
    const diags = vscode.languages.getDiagnostics(vscode.Uri.file(path.join(scenarioDir, 'agent.ts')));
    assert.ok(
      diags.some((d) => d.range.start.line === 3 && d.message.includes('agent gave up')),
      JSON.stringify(diags),
    );
  });
});
