// `run --junit FILE`: one JUnit test suite per run, one test case per deployment episode. A flagged
// episode is a <failure> whose message is the flag's sentence and whose body names the trace file
// and line; so is an episode the guard stopped before a predicted crossing (type "predicted", at its
// end record); an episode that could not run properly (crash, timeout, ...) is an <error>. Shaped to
// the Ant JUnit schema (test/fixtures/schemas/junit.xsd) that CI dashboards read.
import os from 'node:os';
import type { EpisodeFacts } from './episodeFacts';
import { ranProperly } from '../../core/traceFormat';

export interface JunitInput {
  scenario: string;
  scenarioFile: string;
  agent: string;
  detector: string;
  calibrationFile: string | null;
  tracesDir: string;
  startedAt: Date;
  episodes: EpisodeFacts[];
  /** how a trace path is shown (relative to the working folder in CI) */
  showPath: (file: string) => string;
}

export function junitXml(r: JunitInput): string {
  const failures = r.episodes.filter(
    (f) => (f.episode.flaggedStep !== null || f.predicted !== null) && ranProperly(f.episode.reason),
  ).length;
  const errors = r.episodes.filter((f) => !ranProperly(f.episode.reason)).length;
  const total = r.episodes.reduce((t, f) => t + (f.durationMs ?? 0), 0);
  const classname = `${r.scenario}.${r.agent}`;
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push('<testsuites>');
  out.push(
    `  <testsuite ${attrs({
      name: `${r.scenario} / ${r.agent}`,
      package: `objective-monitor.${r.scenario}`,
      id: 0,
      // The schema's timestamp has no zone: UTC, to the second.
      timestamp: r.startedAt.toISOString().slice(0, 19),
      hostname: os.hostname() || 'localhost',
      tests: r.episodes.length,
      failures,
      errors,
      skipped: 0,
      time: seconds(total),
    })}>`,
  );
  out.push('    <properties>');
  const props: [string, string][] = [
    ['scenario', r.showPath(r.scenarioFile)],
    ['agent', r.agent],
    ['detector', r.detector],
    ['calibration', r.calibrationFile ? r.showPath(r.calibrationFile) : 'none (fixed threshold)'],
    ['traces', r.showPath(r.tracesDir)],
  ];
  for (const [name, value] of props) out.push(`      <property ${attrs({ name, value })}/>`);
  out.push('    </properties>');
  for (const f of r.episodes) {
    const e = f.episode;
    const head = `    <testcase ${attrs({ name: `seed ${e.seed}`, classname, time: seconds(f.durationMs ?? 0) })}`;
    const trace = r.showPath(e.trace);
    if (!ranProperly(e.reason)) {
      const err = e.error;
      const where = err?.file ? ` (${r.showPath(err.file)}${err.line ? `:${err.line}:${err.column ?? 1}` : ''})` : '';
      const message = `episode ended ${e.reason} after ${e.steps} steps${err ? `: ${err.message}${where}` : ''}`;
      const body = [`trace: ${trace}`, ...(err?.stack ? ['', err.stack] : [])].join('\n');
      out.push(
        `${head}>`,
        `      <error ${attrs({ message, type: e.reason })}>${text(body)}</error>`,
        '    </testcase>',
      );
    } else if (e.flaggedStep !== null && f.flag) {
      const at = `flagged step: ${f.flag.step} of ${e.steps} recorded steps`;
      out.push(...failure(head, 'flagged', f.flag.message, [`trace: ${trace}:${f.flag.line + 1}`, at, e]));
    } else if (f.predicted) {
      const at = `stopped before the action of step ${f.predicted.step} after ${e.steps} recorded steps`;
      out.push(...failure(head, 'predicted', f.predicted.message, [`trace: ${trace}:${f.predicted.line + 1}`, at, e]));
    } else {
      out.push(`${head}/>`);
    }
  }
  out.push('    <system-out/>');
  out.push('    <system-err/>');
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

/** A <failure> test case: the sentence as its message; its body the trace line, where the episode
 *  stopped and how it ended, and the final running objective. */
function failure(
  head: string,
  type: 'flagged' | 'predicted',
  message: string,
  [traceLine, at, e]: [string, string, { reason: string; finalScore: number }],
): string[] {
  const body = [traceLine, `${at}; episode ended ${e.reason}`, `final running objective: ${e.finalScore}`].join('\n');
  return [`${head}>`, `      <failure ${attrs({ message, type })}>${text(body)}</failure>`, '    </testcase>'];
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function attrs(o: Record<string, string | number>): string {
  return Object.entries(o)
    .map(([k, v]) => `${k}="${escape(String(v), true)}"`)
    .join(' ');
}

function text(s: string): string {
  return escape(s, false);
}

// XML 1.0 forbids most control characters even escaped; user error messages can hold anything.
function escape(s: string, attr: boolean): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  s = s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
  s = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (attr) s = s.replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
  return s;
}
