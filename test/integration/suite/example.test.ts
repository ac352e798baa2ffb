// Create Example Scenario writes a working TypeScript scenario: it runs, and its misaligned agent is
// flagged. Its name is unique in the workspace and nothing is overwritten. (The Runs view telling two
// scenarios of one name apart by their folder is seen in its rows: test/e2e/runsView.test.ts.)
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Refusal } from '../../../src/extension/commands';
import type { RunOutcome } from '../../../src/extension/runController';
import { activateExtension, workspaceRoot } from '../helpers';
import { log } from '../log';

function scenarioNameIn(dir: string): string {
  const f = fs.readdirSync(dir).find((n) => n.endsWith('.scenario.json'))!;
  return JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).name;
}

describe('Create Example Scenario', () => {
  let dir: string;
  let name: string;

  it('writes environment, agents, objective and scenario into the folder given', async () => {
    await activateExtension();
    dir = await vscode.commands.executeCommand<string>('objectiveMonitor.createExampleScenario', {
      folder: 'examples/first',
    });
    assert.equal(dir, path.join(workspaceRoot(), 'examples', 'first'));
    name = scenarioNameIn(dir);
    for (const f of [
      `${name}.scenario.json`,
      'environment.ts',
      'agents/aligned.ts',
      'agents/misaligned.ts',
      'objective.ts',
      'README.md',
    ]) {
      assert.ok(fs.existsSync(path.join(dir, f)), `${f} written`);
    }
    const spec = JSON.parse(fs.readFileSync(path.join(dir, `${name}.scenario.json`), 'utf8'));
    assert.deepEqual(Object.keys(spec.agents), ['aligned', 'misaligned']);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(dir, `${name}.scenario.json`));
  });

  it('gives a second example a name no scenario of the workspace has, and never overwrites', async () => {
    const again = await vscode.commands.executeCommand<Refusal>('objectiveMonitor.createExampleScenario', {
      folder: 'examples/first',
    });
    assert.equal(again.refused, 'invalid');
    assert.match(again.message, /examples\/first already has .*environment\.ts.*nothing is overwritten/);
    const outside = await vscode.commands.executeCommand<Refusal>('objectiveMonitor.createExampleScenario', {
      folder: '../elsewhere',
    });
    assert.equal(outside.refused, 'invalid');
    assert.match(outside.message, /outside the workspace folder/);

    const second = await vscode.commands.executeCommand<string>('objectiveMonitor.createExampleScenario', {
      folder: 'examples/second',
    });
    const secondName = scenarioNameIn(second);
    assert.notEqual(secondName, name);
    assert.match(secondName, /^corridor-\d+$/, "the example's name with a number");
    assert.ok(fs.existsSync(path.join(second, `${secondName}.scenario.json`)), 'the file is named after the scenario');
    assert.match(
      fs.readFileSync(path.join(second, 'README.md'), 'utf8'),
      new RegExp(`Run Scenario" -> ${secondName} -> misaligned`),
    );
    fs.rmSync(second, { recursive: true, force: true });
  });

  it('runs: the misaligned agent is flagged on deployment seeds whose goal is on the left', async () => {
    const t0 = Date.now();
    const r = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario: path.join(dir, `${name}.scenario.json`),
      agent: 'misaligned',
      episodes: 10,
    });
    assert.ok('exit' in r, JSON.stringify(r));
    log(`example ${name}/misaligned: ${r.flagged} of ${r.episodes} flagged in ${Date.now() - t0} ms`);
    assert.deepEqual(r.failures, [], r.exit.stderr);
    assert.equal(r.episodes, 10);
    assert.ok(r.flagged >= 1, `flagged ${r.flagged}; stderr ${r.exit.stderr}`);
    assert.ok(
      fs.existsSync(path.join(dir, `${name}.misaligned.calibration.json`)),
      'calibration written beside the scenario',
    );
  });
});
