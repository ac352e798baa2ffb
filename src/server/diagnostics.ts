// Diagnostics for one trace: the flagged step, damaged lines, a torn tail, a missing episode_end,
// an episode that did not complete, and a re-flag that could not be done.

import { pathToFileURL } from 'node:url';
import { Diagnostic, DiagnosticSeverity, type DiagnosticRelatedInformation, type Range } from 'vscode-languageserver';
import type { TraceProblem } from '../core/traceReader';
import type { TraceFlags } from '../core/reflag';
import { FAILURE_END_REASONS, ranProperly, type TraceEnd } from '../core/traceFormat';
import { DIAGNOSTIC_SOURCE } from '../shared/lspProtocol';
import { numberText } from '../core/numberText';
import { describeFlagDetector, lineLength, stepIndexOf, type TraceAnalysis } from './traceAnalysis';

export interface DiagnosticOptions {
  /** the client shows relatedInformation (capability) */
  relatedInformation: boolean;
  /** reader problems beyond this many are summarized in one diagnostic */
  maxProblems?: number;
}

export const INCOMPLETE_MESSAGE = 'incomplete: no episode_end record — the episode was interrupted';

export function traceDiagnostics(a: TraceAnalysis, opts: DiagnosticOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { read, flag } = a;
  const max = opts.maxProblems ?? 1000;
  const lineRange = (line: number, from = 0): Range => ({
    start: { line, character: from },
    end: { line, character: Math.max(from, lineLength(read, line)) },
  });
  const diag = (range: Range, severity: DiagnosticSeverity, message: string, code?: string): Diagnostic => {
    const d = Diagnostic.create(range, message, severity, code, DIAGNOSTIC_SOURCE);
    return d;
  };

  // The flag: the reason this file exists.
  if (flag.flaggedStep !== null) {
    const i = stepIndexOf(read, flag.flaggedStep);
    if (i >= 0) {
      const s = read.steps[i];
      const line = read.stepLines[i];
      const threshold = flag.thresholds[i];
      let message = `running objective ${numberText(s.score)} fell below the threshold ${numberText(threshold)} at step ${s.step} (${describeFlagDetector(flag)})`;
      if (flag.reflagged) {
        message +=
          flag.recordedFlaggedStep === flag.flaggedStep
            ? '; re-flagged with the current settings, same step as recorded'
            : `; re-flagged with the current settings (recorded: ${flag.recordedFlaggedStep === null ? 'no flag' : `step ${flag.recordedFlaggedStep}`})`;
      }
      const stopped = read.end?.reason === 'flagged_stop' && read.end.flaggedStep === s.step;
      const d = diag(
        lineRange(line),
        stopped ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
        message,
        'flagged',
      );
      const cal = read.header?.calibration;
      if (opts.relatedInformation && cal && flag.detector.kind !== 'fixed') {
        d.relatedInformation = [related(cal.file, 0, 0, `calibration: alpha ${cal.alpha}, computed ${cal.computedAt}`)];
      }
      out.push(d);
    }
  } else if (flag.reflagged && flag.recordedFlaggedStep !== null && read.headerLine >= 0) {
    out.push(
      diag(
        lineRange(read.headerLine),
        DiagnosticSeverity.Information,
        `no step falls below the threshold with the current settings (${describeFlagDetector(flag)}); recorded flag: step ${flag.recordedFlaggedStep}`,
        'unflagged',
      ),
    );
  }
  if (flag.reflagError) {
    out.push(
      diag(
        lineRange(Math.max(0, read.headerLine)),
        DiagnosticSeverity.Warning,
        `${flag.reflagError}; showing the recorded flag`,
        'reflag',
      ),
    );
  }

  // Reader problems, capped: a file of garbage must not send a million diagnostics.
  const problems = read.problems;
  const shown = Math.min(problems.length, max);
  for (let k = 0; k < shown; k++) out.push(problemDiagnostic(problems[k], lineRange, diag));
  if (problems.length > shown) {
    const p = problems[shown];
    out.push(
      diag(
        lineRange(p.line),
        DiagnosticSeverity.Error,
        `${problems.length - shown} more problems not shown (first at line ${p.line + 1})`,
        'more',
      ),
    );
  }

  const beyond = beyondTrainingDiagnostic(a, lineRange);
  if (beyond) out.push(beyond);

  if (read.end && read.endLine >= 0) {
    const d = endDiagnostic(read.end, lineRange(read.endLine), opts.relatedInformation);
    if (d) out.push(d);
    out.push(...guardDiagnostics(read.end, lineRange(read.endLine), flag));
  }
  return out;
}

export const BEYOND_TRAINING_CODE = 'beyond-training';

/** Information on the first step past the longest calibration episode: the detector extrapolates
 *  from there and the calibration's false-alarm bound does not cover those steps. */
function beyondTrainingDiagnostic(
  a: TraceAnalysis,
  lineRange: (line: number, from?: number) => Range,
): Diagnostic | null {
  const { read } = a;
  const trained = read.header?.calibration?.longestEpisode;
  if (typeof trained !== 'number' || a.flag.detector.kind === 'fixed') return null;
  const i = stepIndexOf(read, trained);
  if (i < 0) return null;
  const last = read.steps[read.steps.length - 1].step;
  return Diagnostic.create(
    lineRange(read.stepLines[i]),
    `beyond training: steps ${trained}..${last} run past the longest calibration episode (${trained} steps); ` +
      'the detector extrapolates the tail of training there and the false-alarm bound does not cover them',
    DiagnosticSeverity.Information,
    BEYOND_TRAINING_CODE,
    DIAGNOSTIC_SOURCE,
  );
}

function problemDiagnostic(
  p: TraceProblem,
  lineRange: (line: number, from?: number) => Range,
  diag: (r: Range, s: DiagnosticSeverity, m: string, c?: string) => Diagnostic,
): Diagnostic {
  switch (p.kind) {
    case 'incomplete':
      return diag(lineRange(p.line), DiagnosticSeverity.Warning, INCOMPLETE_MESSAGE, p.kind);
    case 'torn':
      return diag(lineRange(p.line), DiagnosticSeverity.Warning, `torn last line: ${p.message}`, p.kind);
    case 'inconsistent':
      return diag(lineRange(p.line), DiagnosticSeverity.Warning, p.message, p.kind);
    default:
      return diag(lineRange(p.line, p.column ?? 0), DiagnosticSeverity.Error, p.message, p.kind);
  }
}

/** The guard's side of an episode: the prediction that fired (a predicted stop is not a reactive
 *  flag: nothing crossed yet), and the guard being off or untrusted. */
export function guardDiagnostics(
  end: TraceEnd,
  range: Range,
  flag: Pick<TraceFlags, 'reflagged' | 'predictedStep' | 'guardNote' | 'detector' | 'alpha'>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const p = end.prediction;
  const reflagged = flag.reflagged ? `; re-flagged with the current settings (${describeFlagDetector(flag)})` : '';
  const note = flag.reflagged && flag.guardNote ? `: ${flag.guardNote}` : '';
  if (p && (!flag.reflagged || flag.predictedStep === p.step)) {
    const what =
      end.reason === 'predicted_stop'
        ? `predicted stop: the guard stopped the episode before the action of step ${p.step}`
        : `the guard's prediction fired before the action of step ${p.step}`;
    const where =
      p.crossingStep === null
        ? ''
        : `: the running objective was predicted to fall to ${numberText(p.predictedScore)}, below the threshold${p.margin ? ` by more than the margin ${numberText(p.margin)}` : ''}, at step ${p.crossingStep}`;
    const how = ` (look-ahead ${p.horizon} step${p.horizon === 1 ? '' : 's'}, ${p.rollouts} rollout${p.rollouts === 1 ? '' : 's'}${p.replay ? ', replaying the simulator exactly' : ''}${p.truncated ? ', cut short by the time budget' : ''})`;
    out.push(
      Diagnostic.create(
        range,
        what + where + how + reflagged + note,
        end.reason === 'predicted_stop' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
        'predicted_stop',
        DIAGNOSTIC_SOURCE,
      ),
    );
  } else if (flag.reflagged && (p || flag.guardNote)) {
    // the recorded prediction is not reproduced under the settings, or the trace cannot tell: say so
    out.push(
      Diagnostic.create(
        range,
        p
          ? `not a predicted stop with the current settings (${describeFlagDetector(flag)}); recorded: ${end.reason === 'predicted_stop' ? 'predicted stop' : "the guard's prediction fired"} before the action of step ${p.step}${note}`
          : `guard${reflagged.replace(/^;/, '')}${note}`,
        DiagnosticSeverity.Information,
        'unpredicted',
        DIAGNOSTIC_SOURCE,
      ),
    );
  }
  if (end.guard && end.guard.status !== 'on') {
    out.push(
      Diagnostic.create(
        range,
        `guard ${end.guard.status}: ${end.guard.message}`,
        DiagnosticSeverity.Warning,
        `guard_${end.guard.status}`,
        DIAGNOSTIC_SOURCE,
      ),
    );
  }
  return out;
}

/** A non-completed end: why the episode stopped, and where in the user's code when known. */
export function endDiagnostic(end: TraceEnd, range: Range, relatedInformation: boolean): Diagnostic | null {
  if (ranProperly(end.reason)) return null;
  let message = `episode ended: ${end.reason} after ${end.steps} steps`;
  const e = end.error;
  if (e) {
    message += `: ${e.message}`;
    if (e.file)
      message += ` (${e.file}${e.line !== undefined ? `:${e.line}${e.column !== undefined ? `:${e.column}` : ''}` : ''}${e.phase ? `, in ${e.phase}` : ''})`;
    else if (e.phase) message += ` (in ${e.phase})`;
  }
  if (end.detail && Object.keys(end.detail).length > 0) {
    const parts = Object.entries(end.detail)
      .slice(0, 4)
      .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v)?.slice(0, 80) : String(v)}`);
    message += ` [${parts.join(', ')}]`;
  }
  const d = Diagnostic.create(
    range,
    message,
    FAILURE_END_REASONS.has(end.reason) ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    end.reason,
    DIAGNOSTIC_SOURCE,
  );
  if (relatedInformation && e?.file) {
    const line = Math.max(0, (e.line ?? 1) - 1);
    const col = Math.max(0, (e.column ?? 1) - 1);
    d.relatedInformation = [related(e.file, line, col, e.message)];
  }
  return d;
}

function related(file: string, line: number, character: number, message: string): DiagnosticRelatedInformation {
  let uri: string;
  try {
    uri = /^[a-z][a-z0-9+.-]*:\/\//i.test(file) ? file : pathToFileURL(file).href;
  } catch {
    uri = file;
  }
  return { location: { uri, range: { start: { line, character }, end: { line, character } } }, message };
}
