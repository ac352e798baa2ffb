// objectiveMonitor/traceSummary: the state of a trace in one small answer, with the server's own
// diagnostics, for documents the client did not sync (over 50 MB) as well as open ones.

import { describeDetector } from '../core/detectorConfig';
import type { TraceSummaryRequest } from '../shared/lspProtocol';
import { traceDiagnostics, type DiagnosticOptions } from './diagnostics';
import type { TraceAnalysis } from './traceAnalysis';

export function traceSummary(
  a: TraceAnalysis,
  uri: string,
  source: 'document' | 'disk',
  opts: DiagnosticOptions,
): TraceSummaryRequest.Result {
  const { read, flag } = a;
  return {
    uri,
    source,
    steps: read.steps.length,
    flaggedStep: flag.flaggedStep,
    recordedFlaggedStep: flag.recordedFlaggedStep,
    reflagged: flag.reflagged,
    detector: read.header ? describeDetector(flag.detector) : null,
    reason: read.end ? read.end.reason : null,
    diagnostics: traceDiagnostics(a, opts),
  };
}
