// The running-objective chart: chart.js 4 fed with a freshly decimated frame every redraw (a few
// points per pixel column, built from the typed arrays), tuned as docs/performance.md records:
// parsing off, normalized, no animation, no points, fixed scales. The frame is rebuilt rather than
// pushed into, which also sidesteps chart.js issue 11929 (push lands in the decimated array).
// The current-step cursor (with the margin at that step) lives on its own canvas on top, so moving
// it never redraws the chart. Under the plot, a one-line note says what the threshold line means
// for the detector in use (the same line behaves very differently under envelope and CUSUM).

import {
  Chart,
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  Filler,
  Legend,
  Ticks,
  type ChartDataset,
  type LegendItem,
  type Plugin,
  type Scale,
  type Tick,
  type ScriptableLineSegmentContext,
} from 'chart.js';
import { decimateEnvelope, decimateMinMax, extentOf, niceRange, type XY } from './decimate';
import { formatNumber } from './format';
import { tickText } from './tickText';
import { withAlpha } from './sceneColors';
import { placeBracket, strokeBracket, type PlotBox } from './strokeBracket';
import type { StepSeries } from './stepSeries';
import type { ChartColors } from './theme';
import type { ReplayBand } from '../src/shared/webviewProtocol';
import type { GuardPrediction } from '../src/core/guardTypes';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Legend);

export interface ChartOverlay {
  id: string;
  label: string;
  scores: Float64Array;
  hidden: boolean;
}

export interface ChartInput {
  series: StepSeries;
  flaggedStep: number | null;
  /** the guard's prediction that fired: a dashed projection from its step, marked apart from a flag */
  prediction?: GuardPrediction | null;
  /** flag-only / fallback episodes: draw what happened after the flag distinctly */
  afterFlagDistinct: boolean;
  band: ReplayBand | null;
  overlays: ChartOverlay[];
  zoom: { from: number; to: number } | null;
  colors: ChartColors;
  fontFamily: string;
  /** what the threshold means for this detector: a short caption and the full text (tooltip) */
  thresholdNote: { text: string; title: string };
}

export interface ChartEvents {
  /** the user clicked or dragged on the plot at this step */
  onPick(step: number): void;
  onZoom(zoom: { from: number; to: number } | null): void;
  onToggleOverlay(id: string): void;
}

interface DatasetTag {
  overlayId?: string;
}
type LineDataset = ChartDataset<'line', XY[]> & DatasetTag;
/** the legend entry that expands or collapses the overlays' entries */
type MoreItem = LegendItem & { moreToggle?: true };

const MIN_ZOOM_SPAN = 10;
/** overlays listed in a collapsed legend; the rest are summed up as "+N more" */
const LEGEND_OVERLAYS = 3;
/** above this many overlays they are drawn fainter and thinner, so the episode itself stays readable */
const MANY_OVERLAYS = 3;
/** room a zoom may leave after the last step, as a share of its span (the flag is not pinned to the edge) */
const ZOOM_ROOM = 0.25;

/** The last step index the full x-axis covers: the episode's, or a longer overlaid episode's. */
export function lastStepOf(n: number, overlays: readonly { scores: ArrayLike<number> }[]): number {
  let last = n - 1;
  for (const o of overlays) last = Math.max(last, o.scores.length - 1);
  return Math.max(last, 0);
}

export class ScoreChart {
  /** chart.js's chart, made by the first render() with that render's data: made empty beforehand,
   *  chart.js would lay out and draw an empty chart in its constructor, then lay out and draw again
   *  with the data (docs/performance.md, "The page before the chart") */
  private chart: Chart<'line', XY[]> | null = null;
  private readonly canvas: HTMLCanvasElement;
  private readonly plot: HTMLElement;
  private readonly plugins: Plugin<'line'>[];
  private readonly cursor: HTMLCanvasElement;
  private input: ChartInput | null = null;
  private cursorStep: number | null = null;
  private dragging = false;
  private legendExpanded = false;
  private readonly note: HTMLElement;
  /** what the chart shows, in words (the canvas's accessible name), without the cursor part */
  private summary = '';

  /** `plugins`: drawn with the chart's own markers (e.g. the fork marks) */
  constructor(
    root: HTMLElement,
    private readonly events: ChartEvents,
    plugins: Plugin<'line'>[] = [],
  ) {
    const canvas = document.createElement('canvas');
    canvas.className = 'chart-canvas';
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', 'running objective over steps');
    this.canvas = canvas;
    this.cursor = document.createElement('canvas');
    this.cursor.className = 'chart-cursor';
    this.cursor.setAttribute('aria-hidden', 'true');
    // chart.js sizes the canvas to its parent: the plot gets a box of its own, the note goes under it
    const plot = document.createElement('div');
    plot.className = 'chart-plot';
    plot.append(canvas, this.cursor);
    this.plot = plot;
    this.note = document.createElement('div');
    this.note.className = 'chart-note';
    root.append(plot, this.note);
    const markers: Plugin<'line'> = {
      id: 'replayMarkers',
      beforeDatasetsDraw: (chart) => {
        this.drawRegions(chart);
      },
      afterDatasetsDraw: (chart) => {
        this.drawFlagMarker(chart);
        this.drawPredictionMarker(chart);
      },
      afterRender: () => {
        this.drawCursor();
      },
    };
    this.plugins = [markers, ...plugins];
    canvas.addEventListener('pointerdown', (e) => this.pointer(e, 'down'));
    canvas.addEventListener('pointermove', (e) => this.pointer(e, 'move'));
    canvas.addEventListener('pointerup', (e) => this.pointer(e, 'up'));
    canvas.addEventListener('pointercancel', (e) => this.pointer(e, 'up'));
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    canvas.addEventListener('dblclick', () => this.events.onZoom(null));
  }

  /** The chart, made with its first datasets, axes and colours: one layout, one draw. The colours and
   *  ranges are those render() sets on later draws. */
  private create(
    datasets: LineDataset[],
    x: { min: number; max: number },
    y: { min: number; max: number },
    input: ChartInput,
  ): Chart<'line', XY[]> {
    const c = input.colors;
    const axis = { grid: { color: c.grid }, border: { color: c.grid } };
    // chart.js's tick text, without the page's first Intl number format (tickText.ts); chart.js's own
    // formatter where it writes scientific notation
    const tick: (this: Scale, value: number | string, index: number, ticks: Tick[]) => string = function (
      value,
      index,
      ticks,
    ) {
      return tickText(Number(value), ticks) ?? Ticks.formatters.numeric.call(this, Number(value), index, ticks);
    };
    return new Chart<'line', XY[]>(this.canvas, {
      type: 'line',
      data: { datasets },
      plugins: this.plugins,
      options: {
        parsing: false,
        normalized: true,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        events: ['click'],
        elements: {
          point: { radius: 0, hoverRadius: 0, hitRadius: 0 },
          line: { tension: 0, borderJoinStyle: 'round' },
        },
        interaction: { mode: 'nearest', intersect: true },
        // the panel writes numbers the en-US way everywhere (the header, the inspector, the ticks)
        locale: 'en-US',
        font: { family: input.fontFamily, size: 11 },
        color: c.fg,
        plugins: {
          legend: {
            position: 'top',
            align: 'end',
            labels: {
              color: c.fg,
              boxWidth: 14,
              boxHeight: 2,
              filter: (item) => item.text !== '',
              generateLabels: (chart) => this.legendItems(chart),
            },
            onClick: (_e, item) => {
              if ((item as MoreItem).moreToggle) {
                this.legendExpanded = !this.legendExpanded;
                if (this.input) this.render(this.input);
                return;
              }
              const ds =
                item.datasetIndex === undefined
                  ? undefined
                  : (this.chart?.data.datasets[item.datasetIndex] as LineDataset | undefined);
              if (ds?.overlayId) this.events.onToggleOverlay(ds.overlayId);
            },
          },
          tooltip: { enabled: false },
        },
        scales: {
          x: {
            type: 'linear',
            title: { display: true, text: 'step', color: c.muted },
            ticks: { maxTicksLimit: 10, precision: 0, includeBounds: false, color: c.muted, callback: tick },
            ...axis,
            ...x,
          },
          y: {
            type: 'linear',
            title: { display: true, text: 'running objective', color: c.muted },
            ticks: { maxTicksLimit: 8, color: c.muted, callback: tick },
            ...axis,
            ...y,
          },
        },
        // chart.js sizes the canvas in its constructor too (this.chart is not set yet then): that first
        // size is the one it draws with, so only later resizes draw again
        onResize: () => {
          if (this.chart && this.input) queueMicrotask(() => this.input && this.render(this.input));
        },
      },
    });
  }

  /** The visible step range for a zoom, when the full axis ends at step `last`. A zoom may reach a
   *  little past `last` (ZOOM_ROOM), so a flag on the last step is not pinned to the right edge. */
  static range(last: number, zoom: ChartInput['zoom']): { from: number; to: number } {
    last = Math.max(last, 0);
    const full = Math.max(last, MIN_ZOOM_SPAN);
    if (!zoom) return { from: 0, to: full };
    const from = Math.min(Math.max(zoom.from, 0), last);
    const room = Math.ceil(Math.max(zoom.to - zoom.from, 1) * ZOOM_ROOM);
    return { from, to: Math.max(Math.min(zoom.to, full + room), from + 1) };
  }

  /** The full axis's last step for the current input. */
  private lastStep(): number {
    const inp = this.input;
    return inp ? lastStepOf(inp.series.length, inp.overlays) : 0;
  }

  /** Rebuilds the decimated frame and draws it. Returns the milliseconds spent decimating. */
  render(input: ChartInput): number {
    this.input = input;
    const t0 = performance.now();
    const { series, colors: c } = input;
    const n = series.length;
    const pred = input.prediction && input.prediction.scores.length ? input.prediction : null;
    // the projection runs past the recorded steps (a predicted stop records none of them)
    // one step of room after it, so the crossing's marker is not cut by the chart's edge
    const predLast = pred ? pred.step + pred.scores.length : -1;
    const { from, to } = ScoreChart.range(Math.max(lastStepOf(n, input.overlays), predLast), input.zoom);
    const last = Math.min(to, n - 1);
    // before the chart exists, the plot's box: a few more columns than its plot area has (no visible change)
    const buckets = Math.max(
      50,
      Math.round(this.chart?.chartArea?.width || this.chart?.width || this.plot.clientWidth || 800),
    );
    const flag = input.flaggedStep;
    const keep = flag !== null ? [flag] : [];
    const score = decimateMinMax(series.scores, from, last, buckets, keep);
    const threshold = decimateMinMax(series.thresholds, from, last, buckets, keep);
    const datasets: LineDataset[] = [];
    const extents: XY[][] = [score, threshold];

    if (input.band) {
      const bandTo = Math.min(to, input.band.p05.length - 1);
      const lo = decimateEnvelope(input.band.p05, from, bandTo, buckets, 'min');
      const hi = decimateEnvelope(input.band.p95, from, bandTo, buckets, 'max');
      const mid = decimateMinMax(input.band.p50, from, bandTo, buckets);
      extents.push(lo, hi);
      datasets.push(
        {
          label: '',
          data: lo,
          borderWidth: 0,
          borderColor: 'transparent',
          backgroundColor: c.band,
          fill: false,
          order: 40,
        },
        {
          label: 'calibration p05–p95',
          data: hi,
          borderWidth: 0,
          borderColor: c.band,
          backgroundColor: c.band,
          fill: '-1',
          order: 40,
        },
        {
          label: 'calibration median',
          data: mid,
          borderWidth: 1,
          borderColor: c.median,
          borderDash: [2, 3],
          fill: false,
          order: 30,
        },
      );
    }
    const many = input.overlays.length > MANY_OVERLAYS;
    input.overlays.forEach((o, i) => {
      const data = decimateMinMax(o.scores, from, Math.min(to, o.scores.length - 1), buckets);
      if (!o.hidden) extents.push(data);
      const color = withAlpha(c.overlays[i % c.overlays.length], many ? 0.35 : 0.6);
      datasets.push({
        label: o.label,
        overlayId: o.id,
        data,
        hidden: o.hidden,
        borderWidth: many ? 0.75 : 1,
        borderColor: color,
        backgroundColor: color,
        fill: false,
        order: 20,
      });
    });
    datasets.push({
      label: 'threshold',
      data: threshold,
      borderWidth: c.lineWidth,
      borderColor: c.threshold,
      backgroundColor: c.threshold,
      borderDash: [6, 3],
      fill: false,
      spanGaps: false,
      order: 10,
      stepped: false,
    });
    const afterFlag = input.afterFlagDistinct && flag !== null ? flag : null;
    datasets.push({
      label: 'running objective',
      data: score,
      borderWidth: c.lineWidth + 0.5,
      borderColor: c.score,
      backgroundColor: c.score,
      fill: false,
      order: 0,
      // no segment option at all without a flag: even an empty one makes chart.js work out a style for
      // every point's segment on each draw (a third of the first view's draw, docs/performance.md)
      ...(afterFlag === null
        ? {}
        : {
            segment: {
              borderDash: (ctx: ScriptableLineSegmentContext) =>
                (ctx.p0.parsed.x ?? -1) >= afterFlag ? [5, 4] : undefined,
              borderColor: (ctx: ScriptableLineSegmentContext) =>
                (ctx.p0.parsed.x ?? -1) >= afterFlag ? c.scoreDim : undefined,
            },
          }),
    });
    if (pred) {
      // from the last recorded running objective before the predicted step, then the predicted path
      const startS = pred.step > 0 && pred.step - 1 < n ? series.scores[pred.step - 1] : 0;
      const path: XY[] = [{ x: pred.step - 1, y: startS }, ...pred.scores.map((y, i) => ({ x: pred.step + i, y }))];
      const thr: XY[] = pred.thresholds.flatMap((y, i) => (y === null ? [] : [{ x: pred.step + i, y }]));
      extents.push(path, thr);
      datasets.push(
        {
          label: pred.replay ? 'prediction (replays the simulator)' : 'prediction',
          data: path,
          borderWidth: c.lineWidth + 0.5,
          borderColor: c.flag,
          backgroundColor: c.flag,
          borderDash: [4, 4],
          fill: false,
          order: 1,
        },
        {
          label: '',
          data: thr,
          borderWidth: 1,
          borderColor: withAlpha(c.threshold, 0.6),
          backgroundColor: c.threshold,
          borderDash: [2, 3],
          fill: false,
          order: 11,
        },
      );
    }
    const decimateMs = performance.now() - t0;

    const ext = extentOf(extents) ?? { min: -1, max: 1 };
    const pad = (ext.max - ext.min) * 0.03;
    const yr = niceRange(ext.min - pad, ext.max + pad);
    // the note first: it takes room under the plot, and set after the draw it would resize the chart
    // (chart.js then lays out and draws it all again, a frame later)
    if (this.note.textContent !== input.thresholdNote.text) this.note.textContent = input.thresholdNote.text;
    this.note.title = input.thresholdNote.title;
    if (!this.chart) {
      this.chart = this.create(datasets, { min: from, max: to }, yr, input);
      this.summary = this.describe(from, to, lastStepOf(n, input.overlays));
      this.label();
      return decimateMs;
    }
    const chart = this.chart;
    const o = chart.options;
    const xs = o.scales!.x!,
      ys = o.scales!.y!;
    xs.min = from;
    xs.max = to;
    ys.min = yr.min;
    ys.max = yr.max;
    for (const s of [xs, ys]) {
      s.ticks!.color = c.muted;
      s.grid!.color = c.grid;
      s.border = { color: c.grid };
      (s as { title: { color: string } }).title.color = c.muted;
    }
    o.plugins!.legend!.labels!.color = c.fg;
    o.font = { family: input.fontFamily, size: 11 };
    o.color = c.fg;
    chart.data.datasets = datasets;
    chart.update('none');
    this.summary = this.describe(from, to, lastStepOf(n, input.overlays));
    this.label();
    return decimateMs;
  }

  private describe(from: number, to: number, last: number): string {
    const inp = this.input!;
    const parts = [`Running objective, steps ${from}–${to} shown of 0–${last}.`];
    const f = inp.flaggedStep;
    if (f !== null && f < inp.series.length)
      parts.push(`Flag at step ${f}, margin ${formatNumber(inp.series.scores[f] - inp.series.thresholds[f])}.`);
    const p = inp.prediction;
    if (p && p.fired) {
      parts.push(
        `Predicted stop: the guard stopped before step ${p.step}; the running objective was predicted to fall to ${formatNumber(p.predictedScore)}${p.crossingStep === null ? '' : `, below the threshold at step ${p.crossingStep}`}${p.replay ? ' (the prediction replays the simulator exactly)' : ''}.`,
      );
    }
    const legend = (this.chart?.legend?.legendItems ?? []).map((it) => it.text).filter((t) => t !== '');
    if (legend.length) parts.push(`Legend: ${legend.join(', ')}.`);
    return parts.join(' ');
  }

  private label(): void {
    const inp = this.input,
      s = this.cursorStep;
    let text = this.summary;
    if (inp && s !== null && s < inp.series.length)
      text += ` Cursor at step ${s}, margin ${formatNumber(inp.series.scores[s] - inp.series.thresholds[s])}.`;
    if (this.canvas.getAttribute('aria-label') !== text) this.canvas.setAttribute('aria-label', text);
  }

  /** chart.js's own legend entries, with the overlays' collapsed to a few and "+N more". */
  private legendItems(chart: Chart): LegendItem[] {
    const items = Chart.defaults.plugins.legend.labels.generateLabels(chart) as MoreItem[];
    const isOverlay = (it: LegendItem) =>
      it.datasetIndex !== undefined &&
      (chart.data.datasets[it.datasetIndex] as LineDataset | undefined)?.overlayId !== undefined;
    const overlays = items.filter(isOverlay);
    if (overlays.length <= LEGEND_OVERLAYS + 1) return items;
    const hiddenOverlays = new Set(this.legendExpanded ? [] : overlays.slice(LEGEND_OVERLAYS));
    const c = this.input?.colors;
    const toggle: MoreItem = {
      text: this.legendExpanded ? 'show fewer' : `+${overlays.length - LEGEND_OVERLAYS} more`,
      fillStyle: 'transparent',
      strokeStyle: 'transparent',
      lineWidth: 0,
      hidden: false,
      fontColor: c?.muted,
      moreToggle: true,
    };
    const out = items.filter((it) => !hiddenOverlays.has(it));
    const after = out.indexOf(overlays[this.legendExpanded ? overlays.length - 1 : LEGEND_OVERLAYS - 1]);
    out.splice(after + 1, 0, toggle);
    return out;
  }

  setCursor(step: number | null): void {
    this.cursorStep = step;
    this.drawCursor();
    if (this.input) this.label();
  }

  /** The step under a client x coordinate, or null outside the plot. */
  stepAt(clientX: number): number | null {
    const x = this.chart?.scales.x;
    if (!x) return null;
    const r = this.canvas.getBoundingClientRect();
    return Math.round(x.getValueForPixel(clientX - r.left) ?? NaN);
  }

  private pointer(e: PointerEvent, phase: 'down' | 'move' | 'up'): void {
    const area = this.chart?.chartArea;
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left,
      py = e.clientY - r.top;
    const inside = area && px >= area.left && px <= area.right && py >= area.top && py <= area.bottom;
    if (phase === 'down' && inside && e.button === 0) {
      this.dragging = true;
      this.canvas.setPointerCapture(e.pointerId);
    } else if (phase === 'up') {
      this.dragging = false;
      return;
    }
    if (!this.dragging) return;
    const step = this.stepAt(e.clientX);
    if (step !== null && Number.isFinite(step)) this.events.onPick(step);
  }

  private wheel(e: WheelEvent): void {
    const area = this.chart?.chartArea;
    if (!this.input || !area) return;
    e.preventDefault();
    const { from, to } = ScoreChart.range(this.lastStep(), this.input.zoom);
    const last = Math.max(this.lastStep(), MIN_ZOOM_SPAN);
    const at = this.stepAt(e.clientX) ?? (from + to) / 2;
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      // pan
      const d = ((e.deltaX || e.deltaY) / area.width) * (to - from);
      const shift = Math.round(Math.max(-from, Math.min(Math.max(last, to) - to, d)));
      this.events.onZoom({ from: from + shift, to: to + shift });
      return;
    }
    const factor = e.deltaY < 0 ? 1 / 1.25 : 1.25;
    const span = Math.max((to - from) * factor, MIN_ZOOM_SPAN);
    if (span >= last) {
      this.events.onZoom(null);
      return;
    }
    const ratio = (at - from) / Math.max(to - from, 1);
    let nf = Math.round(at - ratio * span);
    nf = Math.max(0, Math.min(nf, last - Math.round(span)));
    this.events.onZoom({ from: nf, to: nf + Math.round(span) });
  }

  /** Shaded regions behind the lines, in drawing order. More kinds can join here (each draws its
   *  own band over the full plot height and labels it at the bottom). */
  private drawRegions(chart: Chart): void {
    drawBeyondTrainingRegion(chart, this.input);
    this.drawAfterFlagRegion(chart);
  }

  private drawAfterFlagRegion(chart: Chart): void {
    const inp = this.input;
    if (!inp || !inp.afterFlagDistinct || inp.flaggedStep === null) return;
    const x = chart.scales.x,
      a = chart.chartArea;
    const left = Math.max(x.getPixelForValue(inp.flaggedStep), a.left);
    if (left >= a.right) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = inp.colors.afterFlag;
    ctx.fillRect(left, a.top, a.right - left, a.bottom - a.top);
    ctx.fillStyle = inp.colors.muted;
    ctx.font = `italic 10px ${inp.fontFamily}`;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    if (a.right - left > 150) ctx.fillText('after the flag (episode continued)', a.right - 6, a.bottom - 4);
    ctx.restore();
  }

  /** A predicted stop: a diamond where the projection crosses and a shield label, apart from a reactive ⚑. */
  private drawPredictionMarker(chart: Chart): void {
    const p = this.input?.prediction;
    if (!p || !p.fired || !p.scores.length) return;
    const inp = this.input!;
    const x = chart.scales.x,
      y = chart.scales.y,
      a = chart.chartArea;
    const at = p.crossingStep ?? p.step;
    const px = x.getPixelForValue(at),
      py = y.getPixelForValue(p.predictedScore);
    const sx = x.getPixelForValue(p.step);
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = inp.colors.flag;
    ctx.fillStyle = inp.colors.flag;
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(Math.round(sx) + 0.5, a.top);
    ctx.lineTo(Math.round(sx) + 0.5, a.bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    if (px >= a.left - 0.5 && px <= a.right + 0.5) {
      ctx.beginPath();
      ctx.moveTo(px, py - 5);
      ctx.lineTo(px + 5, py);
      ctx.lineTo(px, py + 5);
      ctx.lineTo(px - 5, py);
      ctx.closePath();
      ctx.fill();
    }
    const label = `◆ ${p.fired ? 'guard' : 'look-ahead'} before step ${p.step}: predicted ${formatNumber(p.predictedScore)} at step ${at}${p.replay ? ' (replay)' : ''}`;
    ctx.font = `600 11px ${inp.fontFamily}`;
    const w = ctx.measureText(label).width + 10;
    const lx = sx + 6 + w > a.right ? sx - 6 - w : sx + 6;
    ctx.fillStyle = inp.colors.bg;
    ctx.fillRect(lx, a.top + 22, w, 16);
    ctx.fillStyle = inp.colors.flag;
    ctx.fillText(label, lx + 5, a.top + 34);
    ctx.restore();
  }

  private drawFlagMarker(chart: Chart): void {
    const inp = this.input;
    if (!inp || inp.flaggedStep === null || inp.flaggedStep >= inp.series.length) return;
    const step = inp.flaggedStep;
    const x = chart.scales.x,
      y = chart.scales.y,
      a = chart.chartArea;
    const px = x.getPixelForValue(step);
    if (px < a.left - 0.5 || px > a.right + 0.5) return;
    const score = inp.series.scores[step];
    const py = y.getPixelForValue(score);
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = inp.colors.flag;
    ctx.fillStyle = inp.colors.flag;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(Math.round(px) + 0.5, a.top);
    ctx.lineTo(Math.round(px) + 0.5, a.bottom);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(px, py, 4, 0, Math.PI * 2);
    ctx.fill();
    const label = `⚑ step ${step}: ${formatNumber(score)} < ${formatNumber(inp.series.thresholds[step])}`;
    ctx.font = `600 11px ${inp.fontFamily}`;
    const w = ctx.measureText(label).width + 10;
    const lx = px + 6 + w > a.right ? px - 6 - w : px + 6;
    const ly = a.top + 4;
    ctx.fillStyle = inp.colors.bg;
    ctx.globalAlpha = 0.85;
    ctx.fillRect(lx, ly, w, 17);
    ctx.globalAlpha = 1;
    ctx.strokeRect(lx + 0.5, ly + 0.5, w - 1, 16);
    ctx.fillStyle = inp.colors.flag;
    ctx.textBaseline = 'middle';
    ctx.fillText(label, lx + 5, ly + 9);
    drawMargin(
      ctx,
      a,
      px,
      py,
      y.getPixelForValue(inp.series.thresholds[step]),
      score - inp.series.thresholds[step],
      inp.colors.flag,
      inp,
    );
    ctx.restore();
  }

  private drawCursor(): void {
    const chart = this.chart;
    if (!chart) return; // not made yet, or inside chart.js's constructor (its first draw)
    const src = this.canvas,
      cv = this.cursor;
    if (cv.width !== src.width || cv.height !== src.height) {
      cv.width = src.width;
      cv.height = src.height;
      cv.style.width = src.style.width;
      cv.style.height = src.style.height;
    }
    const ctx = cv.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, cv.width, cv.height);
    const inp = this.input,
      step = this.cursorStep;
    if (!inp || step === null || step >= inp.series.length || !chart.scales.x) return;
    const x = chart.scales.x,
      y = chart.scales.y,
      a = chart.chartArea;
    const px = x.getPixelForValue(step);
    if (px < a.left - 0.5 || px > a.right + 0.5) return;
    const dpr = src.width / Math.max(src.clientWidth, 1);
    ctx.save();
    ctx.scale(dpr, dpr);
    ctx.strokeStyle = inp.colors.cursor;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(Math.round(px) + 0.5, a.top);
    ctx.lineTo(Math.round(px) + 0.5, a.bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    const py = y.getPixelForValue(inp.series.scores[step]);
    ctx.fillStyle = inp.colors.score;
    ctx.strokeStyle = inp.colors.bg;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(px, py, 4.5, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
    // the margin at the cursor (at the flag the chart already draws it, in the flag's colour)
    if (step !== inp.flaggedStep) {
      const th = inp.series.thresholds[step];
      drawMargin(ctx, a, px, py, y.getPixelForValue(th), inp.series.scores[step] - th, inp.colors.cursor, inp);
    }
    ctx.restore();
  }
}

/** The margin (score − threshold) at one step, drawn as a bracket beside the step's line from the
 *  score to the threshold, the gap between them shaded, and its value written next to it. Nothing
 *  when the step has no threshold; a threshold off the plot is bracketed up to the plot's edge. */
function drawMargin(
  ctx: CanvasRenderingContext2D,
  a: PlotBox,
  px: number,
  scoreY: number,
  thresholdY: number,
  margin: number,
  color: string,
  inp: ChartInput,
): void {
  if (!Number.isFinite(margin) || !Number.isFinite(scoreY) || !Number.isFinite(thresholdY)) return;
  const label = `margin ${margin > 0 ? '+' : ''}${formatNumber(margin)}`;
  ctx.save();
  ctx.font = `600 10px ${inp.fontFamily}`;
  const tw = ctx.measureText(label).width;
  const b = placeBracket(a, px, scoreY, thresholdY, 7, 4);
  const { x: bx, y0, y1 } = b;
  ctx.fillStyle = withAlpha(color, 0.18);
  ctx.fillRect(Math.min(px, bx), Math.min(y0, y1), Math.abs(bx - px), Math.abs(y1 - y0));
  strokeBracket(ctx, b, color, 1.25);
  // the value goes under the lower end (after a drop the score is the lowest line, and the space under
  // it is free), else over the upper end: beside the bracket it would cover the steps leading up to it
  const below = Math.max(y0, y1) + 12;
  const ly = below <= a.bottom - 8 ? below : Math.max(Math.min(y0, y1) - 12, a.top + 8);
  const lx = px + 6 + tw <= a.right - 2 ? px + 6 : Math.max(px - 6 - tw, a.left + 2); // clear of the step's line
  ctx.fillStyle = inp.colors.bg;
  ctx.globalAlpha = 0.8;
  ctx.fillRect(lx - 2, ly - 7, tw + 4, 14);
  ctx.globalAlpha = 1;
  ctx.fillStyle = margin < 0 ? inp.colors.flag : color;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.fillText(label, lx, ly);
  ctx.restore();
}

/** Steps past the longest calibration episode (the band's `trainedSteps`) are shaded and labelled
 *  "beyond training": the detector extrapolates there and the calibration's bound does not cover
 *  them. The step it starts at is also left on the canvas as data-beyond-training (tests, a11y). */
function drawBeyondTrainingRegion(chart: Chart, inp: ChartInput | null): void {
  const trained = inp?.band?.trainedSteps;
  const canvas = chart.canvas;
  const n = inp?.series.length ?? 0;
  if (!inp || trained === undefined || n <= trained) {
    delete canvas.dataset.beyondTraining;
    return;
  }
  canvas.dataset.beyondTraining = String(trained);
  const x = chart.scales.x,
    a = chart.chartArea;
  const left = Math.max(x.getPixelForValue(trained - 0.5), a.left);
  if (left >= a.right) return;
  const ctx = chart.ctx;
  ctx.save();
  ctx.globalAlpha = 0.08;
  ctx.fillStyle = inp.colors.muted;
  ctx.fillRect(left, a.top, a.right - left, a.bottom - a.top);
  ctx.globalAlpha = 1;
  ctx.fillStyle = inp.colors.muted;
  ctx.font = `italic 10px ${inp.fontFamily}`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  if (a.right - left > 90) ctx.fillText('beyond training', left + 4, a.top + 4);
  ctx.restore();
}
