// Hover on a trace line: the step's numbers (score, threshold, margin, statistic) and a short look
// at the action and observation; the header and episode_end lines get an episode summary.
// Trace content is shown only inside code spans, so no Markdown or HTML from a trace is rendered.

import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import { describeDetector } from '../core/detectorConfig';
import { escapeMarkdown, inlineCode, summarize } from './format';
import { numberText } from '../core/numberText';
import { describeFlagDetector, lineLength, stepIndexAtLine, type TraceAnalysis } from './traceAnalysis';

export function traceHover(a: TraceAnalysis, pos: Position): Hover | null {
  const { read, flag } = a;
  const line = pos.line;
  const range = { start: { line, character: 0 }, end: { line, character: lineLength(read, line) } };
  const md = (value: string): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range });

  const i = stepIndexAtLine(read, line);
  if (i >= 0) {
    const s = read.steps[i];
    const threshold = flag.thresholds[i];
    const flagged = flag.flaggedStep === s.step;
    const rows: string[] = [];
    rows.push(`**Step ${s.step}**${flagged ? ' — flagged' : ''}${s.fallback ? ' — fallback action' : ''}`);
    rows.push('');
    if (s.action !== undefined) rows.push(`- action: ${inlineCode(summarize(s.action, 120))}`);
    rows.push(`- increment: ${numberText(s.increment)}`);
    rows.push(`- running objective: ${numberText(s.score)}`);
    rows.push(
      `- threshold: ${numberText(threshold)}${flag.reflagged ? ` (re-flagged; recorded ${numberText(s.threshold)})` : ''}`,
    );
    rows.push(`- margin (score − threshold): ${numberText(s.score - threshold)}`);
    rows.push(`- statistic (${describeFlagDetector(flag)}): ${numberText(flag.statistics[i])}`);
    if (s.reward !== undefined) rows.push(`- reward: ${numberText(s.reward)}`);
    if (s.terminated || s.truncated) rows.push(`- ${s.terminated ? 'terminated' : 'truncated'}`);
    if (s.observation !== undefined) rows.push(`- observation: ${inlineCode(summarize(s.observation, 200))}`);
    return md(rows.join('\n'));
  }

  if (line === read.headerLine && read.header) {
    const h = read.header;
    const rows = [
      `**Episode ${escapeMarkdown(h.episodeId)}** of scenario ${escapeMarkdown(h.scenario.name)}`,
      '',
      `- seed ${h.seed} (${h.distribution}), agent ${inlineCode(h.agent.name)}`,
      `- recorded detector: ${describeDetector(h.detector)}${h.calibration ? `, alpha ${h.calibration.alpha}` : ''}`,
      `- flag: ${flag.flaggedStep === null ? 'none' : `step ${flag.flaggedStep}`}${flag.reflagged ? ` (re-flagged with ${describeFlagDetector(flag)}; recorded: ${a.flag.recordedFlaggedStep ?? 'none'})` : ''}`,
      `- steps: ${read.steps.length}, end: ${read.end ? read.end.reason : 'none (incomplete)'}`,
    ];
    return md(rows.join('\n'));
  }

  if (line === read.endLine && read.end) {
    const e = read.end;
    const rows = [
      `**Episode end: ${e.reason}**`,
      '',
      `- steps: ${e.steps}, final running objective: ${numberText(e.score)}`,
      `- flagged step: ${flag.flaggedStep ?? 'none'}${flag.reflagged ? ` (re-flagged; recorded: ${e.flaggedStep ?? 'none'})` : ''}`,
      `- duration: ${numberText(e.durationMs / 1000)} s`,
    ];
    if (e.error) rows.push(`- error: ${inlineCode(summarize(e.error.message, 300))}`);
    return md(rows.join('\n'));
  }
  return null;
}
