// objectiveMonitor.newAgentModule (the walkthrough's last step): a commented agent module to start
// from, written beside the example scenario when there is one (so it compiles against the example's
// observation), else at the folder's root. Writing a file runs nothing: allowed in Restricted Mode.
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { EXAMPLE_FOLDER } from './exampleScenario';

export const AGENT_TEMPLATE = `// An agent for Objective Monitor. The default export is a factory: it gets the "options" object
// the scenario gives this agent and returns an instance; the runner makes a fresh one per episode.
// Run it with "Objective Monitor: Run Scenario" -> "Agent module file...", or name it in the
// scenario's "agents": { "mine": { "module": "./my-agent", "options": { "patience": 3 } } }.

// What the example corridor's environment observes; change it to your environment's observation.
interface Observation { position: number; goal: number; length: number }
type Action = -1 | 0 | 1;

export default function createAgent(options: { patience?: number }) {
  const patience = options.patience ?? 3;
  let waited = 0;
  return {
    /** Optional: called at the start of every episode with its seed. */
    reset(_seed: number): void {
      waited = 0;
    },
    /** One decision per step. May return a promise. */
    act(observation: Observation): Action {
      if (observation.position === observation.goal) return 0;
      // Hesitates for a few steps before walking toward the goal: watch its running objective dip.
      if (waited++ < patience) return 0;
      return observation.goal > observation.position ? 1 : -1;
    },
  };
}
`;

export function newAgentModule(ctx: Ctx) {
  return async (): Promise<string | undefined> => {
    const root = ctx.workspaceRoot;
    if (!root) {
      void vscode.window.showErrorMessage('Objective Monitor: New Agent Module needs a folder open.');
      return undefined;
    }
    const example = path.join(root, EXAMPLE_FOLDER, 'agents');
    const dir = fs.existsSync(example) ? example : root;
    let file = path.join(dir, 'my-agent.ts');
    for (let i = 2; fs.existsSync(file); i++) file = path.join(dir, `my-agent-${i}.ts`);
    const edit = new vscode.WorkspaceEdit();
    edit.createFile(vscode.Uri.file(file), { contents: Buffer.from(AGENT_TEMPLATE, 'utf8') });
    if (!(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showErrorMessage(`Objective Monitor: could not write ${file}`);
      return undefined;
    }
    await vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file)?.save();
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
    return file;
  };
}
