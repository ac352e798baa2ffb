// The header line: what this episode is, how it ended, and where it was flagged.

import type { ReplayEnd, ReplayMeta } from '../src/shared/webviewProtocol';
import { clear, h } from './dom';
import { calibrationText, flagText, predictedText, reasonView, stepsText } from './format';

export interface HeaderInput {
  meta: ReplayMeta;
  end: ReplayEnd | null;
  flaggedStep: number | null;
  flagScore: number | null;
  flagThreshold: number | null;
  steps: number;
  /** notes under the header (beyond training, calibration warnings), one line each */
  notes?: string[];
  /** the trace is still being read (not a live episode: no pulsing dot, which would also keep
   *  the page repainting while the extension host reads) */
  reading?: boolean;
}

export function renderHeader(root: HTMLElement, v: HeaderInput | null): void {
  clear(root);
  if (!v) {
    root.append(h('span', 'muted', 'waiting for a trace…'));
    return;
  }
  const { meta, end } = v;
  const line = h('div', 'header-line');
  line.append(
    h('span', 'h-scenario', meta.scenario),
    sep(),
    h('span', 'h-agent', `agent ${meta.agent}`),
    sep(),
    h('span', 'h-seed', `seed ${meta.seed} (${meta.distribution})`),
    sep(),
  );
  if (end) {
    const r = reasonView(end.reason);
    const reason = h('span', `h-reason tone-${r.tone}`);
    reason.append(h('span', 'icon', r.icon), document.createTextNode(` ${r.text} after ${stepsText(end.steps)}`));
    line.append(reason);
  } else if (v.reading) {
    line.append(h('span', 'h-reason', `reading · ${stepsText(v.steps)} so far`));
  } else {
    const live = h('span', 'h-reason tone-live');
    live.append(h('span', 'icon live-dot', '●'), document.createTextNode(` live · ${stepsText(v.steps)}`));
    line.append(live);
  }
  const second = h('div', 'header-line second');
  if (v.flaggedStep !== null && v.flagScore !== null && v.flagThreshold !== null) {
    second.append(h('span', 'h-flag', flagText(v.flaggedStep, v.flagScore, v.flagThreshold)));
  } else if (end?.prediction?.fired) {
    second.append(h('span', 'h-predicted', predictedText(end.prediction)));
  } else {
    second.append(h('span', 'h-noflag', end ? 'not flagged' : 'not flagged so far'));
  }
  second.append(sep(), h('span', 'h-detector', calibrationText(meta)));
  if (meta.protocol !== 'stop') second.append(sep(), h('span', 'h-protocol', `protocol ${meta.protocol}`));
  root.append(line, second);
  for (const note of v.notes ?? []) root.append(h('div', 'header-note', note));
  if (end?.error) {
    const e = end.error;
    const where = e.file
      ? ` (${e.file}${e.line !== undefined ? `:${e.line}${e.column !== undefined ? `:${e.column}` : ''}` : ''})`
      : '';
    root.append(h('div', 'header-error', `${e.phase ? `${e.phase}: ` : ''}${e.message}${where}`));
  }
}

function sep(): HTMLElement {
  return h('span', 'sep', '·');
}
