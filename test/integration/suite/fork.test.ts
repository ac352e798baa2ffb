// Fork from Here (issue 14) inside the real VS Code server: the command itself, run through
// executeCommand on a copy of the cliff fixture (pushing reaches the edge at step 4 and is flagged at
// step 8; the 'back' agent never is). The fork's trace is on disk with `forkOf`, and the Runs view
// lists it under its parent episode, not as a run of its own.
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/runController';
import type { RunsNode } from '../../../src/extension/runsTree';
import { copyScenario } from '../../scenarioCopy';
import { api, EXTENSION_ID, waitFor, workspaceRoot } from '../helpers';
import { log } from '../log';

type Api = Awaited<ReturnType<typeof api>>;

/** Every episode node of the Runs view, with the node it hangs under. */
function episodeNodes(a: Api): { node: RunsNode & { kind: 'episode' }; under: RunsNode | undefined }[] {
  const tree = a.ctx.tree;
  const out: { node: RunsNode & { kind: 'episode' }; under: RunsNode | undefined }[] = [];
  const walk = (n: RunsNode | undefined) => {
    for (const c of tree.getChildren(n)) {
      if (c.kind === 'episode') out.push({ node: c, under: n });
      walk(c);
    }
  };
  walk(undefined);
  return out;
}

describe('Fork from Here', () => {
  let a: Api;
  let scenario: string;

  before(async () => {
    a = await api();
    const fixtures = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures', 'fork');
    scenario = copyScenario(path.join(fixtures, 'cliff.scenario.json'), path.join(workspaceRoot(), 'fork', 'cliff'));
  });

  it('runs the fork command on a trace: the fork trace has forkOf and sits under its parent in the Runs view', async () => {
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

    // In the Runs view: under the parent's episode node, labelled as a fork, and nowhere else.
    const found = await waitFor('the fork in the Runs view', () => {
      const nodes = episodeNodes(a).filter((x) => x.node.episode.file === file);
      return nodes.length ? nodes : undefined;
    });
    assert.equal(found.length, 1, 'the fork is listed once');
    const under = found[0].under;
    assert.ok(under?.kind === 'episode', `the fork hangs under an episode, not under ${under?.kind}`);
    assert.equal(under.episode.file, parent);
    const item = a.ctx.tree.getTreeItem(found[0].node);
    assert.equal(item.label, 'fork at step 4 · back');
  });
});
