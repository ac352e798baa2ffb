// objectiveMonitor/traceSummary: the state of a trace in one small answer, for documents the
// client did not sync (over 50 MB) as well as open ones.

import type { TraceSummaryRequest } from '../shared/lspProtocol';
import { describeDetector } from './settings';
import type { TraceAnalysis } from './traceAnalysis';

/** Problems listed in a summary; the rest are counted in the last entry. */
const MAX_SUMMARY_PROBLEMS = 100;

export function traceSummary(a: TraceAnalysis, uri: string, source: 'document' | 'disk'): TraceSummaryRequest.Result {
  const { read, flag } = a;
  const problems: TraceSummaryRequest.Result['problems'] = read.problems.slice(0, MAX_SUMMARY_PROBLEMS).map((p) => ({ kind: p.kind, line: p.line, message: p.message }));
  if (read.problems.length > MAX_SUMMARY_PROBLEMS) {
    const p = read.problems[MAX_SUMMARY_PROBLEMS];
    problems.push({ kind: p.kind, line: p.line, message: `${read.problems.length - MAX_SUMMARY_PROBLEMS} more problems` });
  }
  if (read.end && read.end.reason !== 'completed' && read.end.reason !== 'flagged_stop' && read.end.reason !== 'predicted_stop') {
    problems.push({ kind: 'end_reason', line: read.endLine, message: `episode ended: ${read.end.reason}${read.end.error ? `: ${read.end.error.message}` : ''}` });
  }
  if (flag.reflagError) problems.push({ kind: 'reflag', line: Math.max(0, read.headerLine), message: flag.reflagError });
  return {
    uri,
    source,
    steps: read.steps.length,
    flaggedStep: flag.flaggedStep,
    recordedFlaggedStep: a.recordedFlaggedStep,
    reflagged: flag.reflagged,
    detector: read.header ? describeDetector(flag.detector) : null,
    reason: read.end ? read.end.reason : null,
    problems,
  };
}
