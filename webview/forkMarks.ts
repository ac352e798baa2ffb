// Marks of issue 14 on the replay panel: a fork beside its parent (the fork point, the first step
// whose action differs, the running-objective gap where the fork ends) and the point of no return
// found by blame. They are drawn on the chart by a chart.js plugin of their own (scoreChart.ts stays
// as it is), ticked on the timeline, and said in words in a strip under the chart: the words are what
// screen readers and tests read, the lines are for the eye.
import type { Chart, Plugin } from 'chart.js';
import type { BlameParams, ForkCompare } from '../src/shared/webviewProtocol';
import { clear, h } from './dom';
import { formatNumber } from './format';
import { placeBracket, strokeBracket } from './strokeBracket';
import type { ChartColors } from './theme';

/** the flag's label sits at the plot's top, a guard's prediction under it: the marks' labels start below both */
const LABEL_TOP = 42;

export interface MarksState {
  compare: ForkCompare | null;
  blame: BlameParams | null;
  /** the panel's own episode's agent */
  agent: string;
  steps: number;
}

export interface MarkText {
  kind: 'fork' | 'action' | 'gap' | 'blame';
  /** the step to jump to; null when the mark has none ("no point of no return found") */
  step: number | null;
  text: string;
}

/** The marks in words, in the order the strip shows them. */
export function marksText(s: MarksState): MarkText[] {
  const out: MarkText[] = [];
  const c = s.compare;
  if (c) {
    const who = c.role === 'fork' ? `its fork (agent ${c.forkAgent})` : `its parent`;
    out.push({ kind: 'fork', step: c.forkStep, text: `↳ fork point: step ${c.forkStep}, compared with ${who}` });
    out.push({
      kind: 'action',
      step: c.firstDifferentAction,
      text:
        c.firstDifferentAction === null
          ? '≠ no different action over the steps both episodes have'
          : `≠ first different action: step ${c.firstDifferentAction}`,
    });
    if (c.gap) {
      const d = c.gap.fork - c.gap.parent;
      out.push({
        kind: 'gap',
        step: c.gap.step,
        text: `Δ score gap ${d > 0 ? '+' : ''}${formatNumber(d)} (fork ${formatNumber(c.gap.fork)} vs parent ${formatNumber(c.gap.parent)}) ${c.gap.at === 'flag' ? "at the fork's flag" : 'at the end'}, step ${c.gap.step}`,
      });
    }
  }
  const b = s.blame;
  if (b) {
    out.push(
      b.pointOfNoReturn === null
        ? {
            kind: 'blame',
            step: null,
            text: `⊘ no point of no return found: agent ${b.agent} taking over at any step up to the flag (step ${b.flaggedStep}) is still flagged (${b.forks} forks)`,
          }
        : {
            kind: 'blame',
            step: b.pointOfNoReturn,
            text: `⊘ point of no return: step ${b.pointOfNoReturn} — agent ${b.agent} taking over there avoids the flag at step ${b.flaggedStep}, from step ${b.pointOfNoReturn + 1} on it cannot (${b.forks} forks${b.monotone ? '' : ', outcome not monotone'})`,
          },
    );
  }
  return out;
}

export interface MarksDraw {
  state: MarksState;
  colors: ChartColors;
  /** the colour the other episode of the fork pair is drawn in on the chart */
  otherColor: string;
  font: string;
}

/** Draws the marks on the chart, reading the state through `get` at draw time. */
export function forkMarksPlugin(get: () => MarksDraw | null): Plugin<'line'> {
  return {
    id: 'forkMarks',
    afterDatasetsDraw: (chart) => {
      const g = get();
      if (!g) return;
      const { state: s, colors: c, font, otherColor } = g;
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = `600 11px ${font}`;
      let row = 0;
      const cmp = s.compare;
      if (cmp) {
        vline(chart, c, cmp.forkStep, c.fg, [], `↳ fork ${cmp.forkStep}`, row++);
        const d = cmp.firstDifferentAction;
        if (d !== null && d !== cmp.forkStep) vline(chart, c, d, otherColor, [2, 3], `≠ action ${d}`, row++);
        else if (d !== null) labelAt(chart, c, d, otherColor, `≠ first different action`, row++);
        if (cmp.gap) gapBracket(chart, cmp.gap, c);
      }
      const b = s.blame;
      if (b && b.pointOfNoReturn !== null)
        vline(chart, c, b.pointOfNoReturn, c.flag, [6, 2, 2, 2], `⊘ point of no return ${b.pointOfNoReturn}`, row);
      ctx.restore();
    },
  };
}

/** A vertical line across the plot at `step`, labelled near the top (`row` stacks labels downward),
 *  under the rows the flag's and the guard's labels use. */
function vline(
  chart: Chart,
  c: ChartColors,
  step: number,
  color: string,
  dash: number[],
  label: string,
  row: number,
): void {
  const x = chart.scales.x,
    a = chart.chartArea;
  const px = x.getPixelForValue(step);
  if (px < a.left - 0.5 || px > a.right + 0.5) return;
  const ctx = chart.ctx;
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.25;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(Math.round(px) + 0.5, a.top);
  ctx.lineTo(Math.round(px) + 0.5, a.bottom);
  ctx.stroke();
  ctx.setLineDash([]);
  labelAt(chart, c, step, color, label, row);
}

function labelAt(chart: Chart, c: ChartColors, step: number, color: string, label: string, row: number): void {
  const x = chart.scales.x,
    a = chart.chartArea;
  const px = x.getPixelForValue(step);
  if (px < a.left - 0.5 || px > a.right + 0.5) return;
  const ctx = chart.ctx;
  const w = ctx.measureText(label).width + 8;
  const lx = px + 4 + w > a.right ? px - 4 - w : px + 4;
  const ly = a.top + LABEL_TOP + row * 18;
  ctx.globalAlpha = 0.85;
  ctx.fillStyle = c.bg;
  ctx.fillRect(lx, ly, w, 15);
  ctx.globalAlpha = 1;
  ctx.fillStyle = color;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.fillText(label, lx + 4, ly + 8);
}

/** The gap: a bracket at its step from the parent's running objective to the fork's, with its value. */
function gapBracket(chart: Chart, gap: NonNullable<ForkCompare['gap']>, c: ChartColors): void {
  const x = chart.scales.x,
    y = chart.scales.y,
    a = chart.chartArea;
  const px = x.getPixelForValue(gap.step);
  if (px < a.left - 0.5 || px > a.right + 0.5) return;
  const b = placeBracket(a, px, y.getPixelForValue(gap.parent), y.getPixelForValue(gap.fork), 9, 5);
  const { right, x: bx, y0, y1 } = b;
  const ctx = chart.ctx;
  strokeBracket(ctx, b, c.fg, 1.5);
  const d = gap.fork - gap.parent;
  const label = `Δ ${d > 0 ? '+' : ''}${formatNumber(d)}`;
  const w = ctx.measureText(label).width;
  const lx = right ? Math.min(bx + 4, a.right - w - 2) : bx - 4 - w;
  ctx.fillStyle = c.bg;
  ctx.globalAlpha = 0.85;
  ctx.fillRect(lx - 2, (y0 + y1) / 2 - 8, w + 4, 16);
  ctx.globalAlpha = 1;
  ctx.fillStyle = c.fg;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.fillText(label, lx, (y0 + y1) / 2);
}

/** The strip of marks in words under the chart; each with a step jumps there on click. */
export function renderMarksStrip(strip: HTMLElement, marks: MarkText[], onSeek: (step: number) => void): void {
  clear(strip);
  strip.classList.toggle('hidden', marks.length === 0);
  for (const m of marks) {
    const el = h(m.step === null ? 'span' : 'button', `mark mark-${m.kind}`, m.text);
    el.setAttribute('aria-label', m.text);
    if (m.step !== null) {
      const step = m.step;
      (el as HTMLButtonElement).type = 'button';
      el.title = `go to step ${step}`;
      el.addEventListener('click', () => onSeek(step));
    }
    strip.append(el);
  }
}

/** Ticks on the timeline's track for the marks with a step (fork point, point of no return). */
export function renderTrackMarks(
  track: HTMLElement,
  marks: MarkText[],
  steps: number,
  onSeek: (step: number) => void,
): void {
  track.querySelectorAll('.tl-mark').forEach((old) => old.remove());
  const last = Math.max(steps - 1, 1);
  for (const m of marks) {
    if (m.step === null || (m.kind !== 'fork' && m.kind !== 'blame') || m.step > last) continue;
    const step = m.step;
    const tick = h('button', `tl-mark tl-mark-${m.kind}`);
    tick.type = 'button';
    const label = m.kind === 'fork' ? `fork point: step ${step}` : `point of no return: step ${step}`;
    tick.title = label;
    tick.setAttribute('aria-label', label);
    // the range input's thumb is ~16 px wide: its centre runs from 8 px to width − 8 px
    tick.style.left = `calc(8px + (100% - 16px) * ${step / last})`;
    tick.addEventListener('click', () => onSeek(step));
    track.append(tick);
  }
}
