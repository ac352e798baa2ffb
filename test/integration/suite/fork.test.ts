// Fork from Here (issue 14) inside the real VS Code server: the command itself, run through
// executeCommand on a copy of the cliff fixture (pushing reaches the edge at step 4 and is flagged at
// step 8; the 'back' agent never is). The fork's trace is on disk with `forkOf`. (The Runs view lists
// it under its parent episode, not as a run of its own: its rows in e2e, test/e2e/fork.test.ts.)
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/runController';
import { copyScenario } from '../../scenarioCopy';
import { activateExtension, EXTENSION_ID, workspaceRoot } from '../helpers';
import { log } from '../log';

describe('Fork from Here', () => {
  let scenario: string;

  before(async () => {
    await activateExtension();
    const fixtures = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures', 'fork');
    scenario = copyScenario(path.join(fixtures, 'cliff.scenario.json'), path.join(workspaceRoot(), 'fork', 'cliff'));
  });

  it('runs the fork command on a trace: the fork trace has forkOf and the fork agent, and avoids the flag', async () => {
    const run = await vscode.commands.executeCommand<RunOutcome>('objectiveMonitor.runScenario', {
      scenario,
      agent: 'push',
      episodes: 1,
    });
    assert.ok(run && 'exit' in run && run.shownTrace, `run returned ${JSON.stringify(run)}`);
    const parent = run.shownTrace;
    const t0 = Date.now();
    const fork = await vscode.commands.executeCommand<RunOutcome>(
      'objectiveMonitor.forkFromStep',
      vscode.Uri.file(parent),
      4,
      'back',
    );
    assert.ok(fork && 'exit' in fork && fork.shownTrace, `fork returned ${JSON.stringify(fork)}`);
    log(`cliff: fork at step 4 with 'back' in ${Date.now() - t0} ms, exit ${fork.exit.code}`);
    const file = fork.shownTrace;
    assert.notEqual(file, parent);
    assert.ok(fs.existsSync(file), `${file} exists`);
    const lines = fs
      .readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(lines[0].forkOf, { trace: parent, step: 4 });
    assert.equal(lines[0].agent.name, 'back');
    const end = lines[lines.length - 1];
    assert.equal(end.type, 'episode_end');
    assert.equal(end.flaggedStep, null, 'stepping back from step 4 avoids the flag');
  });
});
