// Code lenses on the header and on the flagged step: open the replay there, or re-run the episode.
// The extension registers the commands; the server only names them (shared/lspProtocol.ts).

import type { CodeLens } from 'vscode-languageserver';
import {
  FindPointOfNoReturnCommand,
  ForkFromStepCommand,
  OpenTraceCommand,
  RerunEpisodeCommand,
} from '../shared/lspProtocol';
import { stepIndexOf, type TraceAnalysis } from './traceAnalysis';

export function traceCodeLenses(a: TraceAnalysis, uri: string): CodeLens[] {
  const { read, flag } = a;
  const out: CodeLens[] = [];
  const at = (line: number) => ({ start: { line, character: 0 }, end: { line, character: 0 } });
  const open = (line: number, step: number | null): CodeLens => ({
    range: at(line),
    command: {
      title: step === null ? 'Open in replay' : `Open in replay at step ${step}`,
      command: OpenTraceCommand.id,
      arguments: [uri, step ?? 0] satisfies OpenTraceCommand.Args,
    },
  });
  const rerun = (line: number): CodeLens => ({
    range: at(line),
    command: {
      title: 'Re-run this episode',
      command: RerunEpisodeCommand.id,
      arguments: [uri] satisfies RerunEpisodeCommand.Args,
    },
  });
  if (read.headerLine >= 0) out.push(open(read.headerLine, flag.flaggedStep), rerun(read.headerLine));
  if (flag.flaggedStep !== null) {
    const i = stepIndexOf(read, flag.flaggedStep);
    if (i >= 0) {
      const line = read.stepLines[i];
      out.push(open(line, flag.flaggedStep), rerun(line));
      // fork and blame replay recorded actions: a scores-only trace has none
      if (read.header?.recording === 'full') {
        out.push(
          {
            range: at(line),
            command: {
              title: 'Fork from here',
              command: ForkFromStepCommand.id,
              arguments: [uri, flag.flaggedStep] satisfies ForkFromStepCommand.Args,
            },
          },
          {
            range: at(line),
            command: {
              title: 'Find the point of no return',
              command: FindPointOfNoReturnCommand.id,
              arguments: [uri] satisfies FindPointOfNoReturnCommand.Args,
            },
          },
        );
      }
    }
  }
  return out;
}
