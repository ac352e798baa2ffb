// Code actions on a step line: "Fork from here" (another agent takes over at that step, issue 14).
// Offered as an action at the cursor rather than a lens on every line: a trace can have 100k steps.
import type { CodeAction, Range } from 'vscode-languageserver';
import { ForkFromStepCommand } from '../shared/lspProtocol';
import { stepIndexAtLine, type TraceAnalysis } from './traceAnalysis';

export function traceCodeActions(a: TraceAnalysis, uri: string, range: Range): CodeAction[] {
  const { read } = a;
  if (read.header?.recording !== 'full') return [];
  const i = stepIndexAtLine(read, range.start.line);
  if (i < 0) return [];
  const step = read.steps[i].step;
  return [
    {
      title: `Fork from step ${step} with another agent`,
      kind: 'refactor',
      command: {
        title: 'Fork from here',
        command: ForkFromStepCommand.id,
        arguments: [uri, step] satisfies ForkFromStepCommand.Args,
      },
    },
  ];
}
