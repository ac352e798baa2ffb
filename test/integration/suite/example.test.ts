// Create Example Scenario writes a working TypeScript scenario: it runs, and its misaligned agent is flagged.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/runController';
import { api, workspaceRoot } from '../helpers';
import { log } from '../log';

describe('Create Example Scenario', () => {
  let dir: string;

  it('writes environment, agents, objective and scenario into the workspace', async () => {
    await api();
    dir = await vscode.commands.executeCommand<string>('objectiveMonitor.createExampleScenario');
    assert.equal(typeof dir, 'string');
    assert.ok(dir.startsWith(workspaceRoot()));
    for (const f of ['corridor.scenario.json', 'environment.ts', 'agents/aligned.ts', 'agents/misaligned.ts', 'objective.ts']) {
      assert.ok(fs.existsSync(path.join(dir, f)), `${f} written`);
    }
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'corridor.scenario.json'), 'utf8'));
    assert.deepEqual(Object.keys(spec.agents), ['aligned', 'misaligned']);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(dir, 'corridor.scenario.json'));
  });

  it('runs: the misaligned agent is flagged on deployment seeds whose goal is on the left', async () => {
    const t0 = Date.now();
    const r = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario',
      { scenario: path.join(dir, 'corridor.scenario.json'), agent: 'misaligned', episodes: 10 });
    assert.ok('exit' in r, JSON.stringify(r));
    log(`example corridor/misaligned: ${r.flagged} of ${r.episodes} flagged in ${Date.now() - t0} ms`);
    assert.deepEqual(r.failures, [], r.exit.stderr);
    assert.equal(r.episodes, 10);
    assert.ok(r.flagged >= 1, `flagged ${r.flagged}; stderr ${r.exit.stderr}`);
    assert.ok(fs.existsSync(path.join(dir, 'corridor.misaligned.calibration.json')), 'calibration written beside the scenario');
  });
});
