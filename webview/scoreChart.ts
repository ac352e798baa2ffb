// The running-objective chart: chart.js 4 fed with a freshly decimated frame every redraw (a few
// points per pixel column, built from the typed arrays), tuned as PERFORMANCE.md measured:
// parsing off, normalized, no animation, no points, fixed scales. The frame is rebuilt rather than
// pushed into, which also sidesteps chart.js issue 11929 (push lands in the decimated array).
// The current-step cursor lives on its own canvas on top, so moving it never redraws the chart.

import {
  Chart, LineController, LineElement, PointElement, LinearScale, Filler, Legend,
  type ChartDataset, type Plugin, type ScriptableLineSegmentContext,
} from 'chart.js';
import { decimateEnvelope, decimateMinMax, extentOf, niceRange, type XY } from './decimate';
import { formatNumber } from './format';
import type { StepSeries } from './stepSeries';
import type { ChartColors } from './theme';
import type { ReplayBand } from '../src/shared/webviewProtocol';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Legend);

export interface ChartOverlay { id: string; label: string; scores: Float64Array; hidden: boolean }

export interface ChartInput {
  series: StepSeries;
  flaggedStep: number | null;
  /** flag-only / fallback episodes: draw what happened after the flag distinctly */
  afterFlagDistinct: boolean;
  band: ReplayBand | null;
  overlays: ChartOverlay[];
  zoom: { from: number; to: number } | null;
  colors: ChartColors;
  fontFamily: string;
}

export interface ChartEvents {
  /** the user clicked or dragged on the plot at this step */
  onPick(step: number): void;
  onZoom(zoom: { from: number; to: number } | null): void;
  onToggleOverlay(id: string): void;
}

interface DatasetTag { overlayId?: string }
type LineDataset = ChartDataset<'line', XY[]> & DatasetTag;

const MIN_ZOOM_SPAN = 10;

export class ScoreChart {
  readonly chart: Chart<'line', XY[]>;
  private readonly cursor: HTMLCanvasElement;
  private input: ChartInput | null = null;
  private cursorStep: number | null = null;
  private dragging = false;

  constructor(root: HTMLElement, private readonly events: ChartEvents) {
    const canvas = document.createElement('canvas');
    canvas.className = 'chart-canvas';
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', 'running objective over steps');
    this.cursor = document.createElement('canvas');
    this.cursor.className = 'chart-cursor';
    root.append(canvas, this.cursor);
    const self = this;
    const markers: Plugin<'line'> = {
      id: 'replayMarkers',
      beforeDatasetsDraw(chart) { drawBeyondTrainingRegion(chart, self.input); self.drawAfterFlagRegion(chart); },
      afterDatasetsDraw(chart) { self.drawFlagMarker(chart); },
      afterRender() { self.drawCursor(); },
    };
    this.chart = new Chart<'line', XY[]>(canvas, {
      type: 'line',
      data: { datasets: [] },
      plugins: [markers],
      options: {
        parsing: false,
        normalized: true,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        events: ['click'],
        elements: { point: { radius: 0, hoverRadius: 0, hitRadius: 0 }, line: { tension: 0, borderJoinStyle: 'round' } },
        interaction: { mode: 'nearest', intersect: true },
        plugins: {
          legend: {
            position: 'top', align: 'end',
            labels: { boxWidth: 14, boxHeight: 2, filter: (item) => item.text !== '' },
            onClick: (_e, item) => {
              const ds = item.datasetIndex === undefined ? undefined : (this.chart.data.datasets[item.datasetIndex] as LineDataset | undefined);
              if (ds?.overlayId) this.events.onToggleOverlay(ds.overlayId);
            },
          },
          tooltip: { enabled: false },
        },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'step' }, ticks: { maxTicksLimit: 10, precision: 0 } },
          y: { type: 'linear', title: { display: true, text: 'running objective' }, ticks: { maxTicksLimit: 8 } },
        },
        onResize: () => { if (this.input) queueMicrotask(() => this.input && this.render(this.input)); },
      },
    });
    canvas.addEventListener('pointerdown', (e) => this.pointer(e, 'down'));
    canvas.addEventListener('pointermove', (e) => this.pointer(e, 'move'));
    canvas.addEventListener('pointerup', (e) => this.pointer(e, 'up'));
    canvas.addEventListener('pointercancel', (e) => this.pointer(e, 'up'));
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    canvas.addEventListener('dblclick', () => this.events.onZoom(null));
  }

  /** The visible step range for `n` steps and a zoom. */
  static range(n: number, zoom: ChartInput['zoom']): { from: number; to: number } {
    const last = Math.max(n - 1, 0);
    if (!zoom) return { from: 0, to: Math.max(last, MIN_ZOOM_SPAN) };
    const from = Math.min(Math.max(zoom.from, 0), last);
    return { from, to: Math.max(Math.min(zoom.to, Math.max(last, MIN_ZOOM_SPAN)), from + 1) };
  }

  /** Rebuilds the decimated frame and draws it. Returns the milliseconds spent decimating. */
  render(input: ChartInput): number {
    this.input = input;
    const t0 = performance.now();
    const { series, colors: c } = input;
    const n = series.length;
    const { from, to } = ScoreChart.range(n, input.zoom);
    const last = Math.min(to, n - 1);
    const buckets = Math.max(50, Math.round(this.chart.chartArea?.width || this.chart.width || 800));
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
        { label: '', data: lo, borderWidth: 0, borderColor: 'transparent', backgroundColor: c.band, fill: false, order: 40 },
        { label: 'calibration p05–p95', data: hi, borderWidth: 0, borderColor: c.band, backgroundColor: c.band, fill: '-1', order: 40 },
        { label: 'calibration median', data: mid, borderWidth: 1, borderColor: c.median, borderDash: [2, 3], fill: false, order: 30 },
      );
    }
    input.overlays.forEach((o, i) => {
      const data = decimateMinMax(o.scores, from, Math.min(to, o.scores.length - 1), buckets);
      if (!o.hidden) extents.push(data);
      const color = c.overlays[i % c.overlays.length];
      datasets.push({ label: o.label, overlayId: o.id, data, hidden: o.hidden, borderWidth: 1, borderColor: color, backgroundColor: color, fill: false, order: 20 });
    });
    datasets.push({
      label: 'threshold', data: threshold, borderWidth: c.lineWidth, borderColor: c.threshold, backgroundColor: c.threshold,
      borderDash: [6, 3], fill: false, spanGaps: false, order: 10, stepped: false,
    });
    const afterFlag = input.afterFlagDistinct && flag !== null ? flag : null;
    datasets.push({
      label: 'running objective', data: score, borderWidth: c.lineWidth + 0.5, borderColor: c.score, backgroundColor: c.score,
      fill: false, order: 0,
      segment: afterFlag === null ? {} : {
        borderDash: (ctx: ScriptableLineSegmentContext) => ((ctx.p0.parsed.x ?? -1) >= afterFlag ? [5, 4] : undefined),
        borderColor: (ctx: ScriptableLineSegmentContext) => ((ctx.p0.parsed.x ?? -1) >= afterFlag ? c.scoreDim : undefined),
      },
    });
    const decimateMs = performance.now() - t0;

    const ext = extentOf(extents) ?? { min: -1, max: 1 };
    const pad = (ext.max - ext.min) * 0.03;
    const yr = niceRange(ext.min - pad, ext.max + pad);
    const o = this.chart.options;
    const xs = o.scales!.x!, ys = o.scales!.y!;
    xs.min = from; xs.max = to;
    ys.min = yr.min; ys.max = yr.max;
    for (const s of [xs, ys]) {
      s.ticks!.color = c.muted;
      s.grid!.color = c.grid;
      s.border = { color: c.grid };
      (s as { title: { color: string } }).title.color = c.muted;
    }
    o.plugins!.legend!.labels!.color = c.fg;
    o.font = { family: input.fontFamily, size: 11 };
    o.color = c.fg;
    this.chart.data.datasets = datasets;
    this.chart.update('none');
    return decimateMs;
  }

  setCursor(step: number | null): void {
    this.cursorStep = step;
    this.drawCursor();
  }

  /** The step under a client x coordinate, or null outside the plot. */
  stepAt(clientX: number): number | null {
    const x = this.chart.scales.x;
    if (!x) return null;
    const r = this.chart.canvas.getBoundingClientRect();
    return Math.round(x.getValueForPixel(clientX - r.left) ?? NaN);
  }

  private pointer(e: PointerEvent, phase: 'down' | 'move' | 'up'): void {
    const area = this.chart.chartArea;
    const r = this.chart.canvas.getBoundingClientRect();
    const px = e.clientX - r.left, py = e.clientY - r.top;
    const inside = area && px >= area.left && px <= area.right && py >= area.top && py <= area.bottom;
    if (phase === 'down' && inside && e.button === 0) {
      this.dragging = true;
      this.chart.canvas.setPointerCapture(e.pointerId);
    } else if (phase === 'up') {
      this.dragging = false;
      return;
    }
    if (!this.dragging) return;
    const step = this.stepAt(e.clientX);
    if (step !== null && Number.isFinite(step)) this.events.onPick(step);
  }

  private wheel(e: WheelEvent): void {
    if (!this.input || !this.chart.chartArea) return;
    e.preventDefault();
    const n = this.input.series.length;
    const { from, to } = ScoreChart.range(n, this.input.zoom);
    const last = Math.max(n - 1, MIN_ZOOM_SPAN);
    const at = this.stepAt(e.clientX) ?? (from + to) / 2;
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      // pan
      const d = ((e.deltaX || e.deltaY) / this.chart.chartArea.width) * (to - from);
      const shift = Math.round(Math.max(-from, Math.min(last - to, d)));
      this.events.onZoom({ from: from + shift, to: to + shift });
      return;
    }
    const factor = e.deltaY < 0 ? 1 / 1.25 : 1.25;
    const span = Math.max((to - from) * factor, MIN_ZOOM_SPAN);
    if (span >= last) { this.events.onZoom(null); return; }
    const ratio = (at - from) / Math.max(to - from, 1);
    let nf = Math.round(at - ratio * span);
    nf = Math.max(0, Math.min(nf, last - Math.round(span)));
    this.events.onZoom({ from: nf, to: nf + Math.round(span) });
  }

  private drawAfterFlagRegion(chart: Chart): void {
    const inp = this.input;
    if (!inp || !inp.afterFlagDistinct || inp.flaggedStep === null) return;
    const x = chart.scales.x, a = chart.chartArea;
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

  private drawFlagMarker(chart: Chart): void {
    const inp = this.input;
    if (!inp || inp.flaggedStep === null || inp.flaggedStep >= inp.series.length) return;
    const step = inp.flaggedStep;
    const x = chart.scales.x, y = chart.scales.y, a = chart.chartArea;
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
    ctx.restore();
  }

  private drawCursor(): void {
    if (!this.chart) return; // chart.js renders once inside its constructor
    const src = this.chart.canvas, cv = this.cursor;
    if (cv.width !== src.width || cv.height !== src.height) {
      cv.width = src.width;
      cv.height = src.height;
      cv.style.width = src.style.width;
      cv.style.height = src.style.height;
    }
    const ctx = cv.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, cv.width, cv.height);
    const inp = this.input, step = this.cursorStep;
    if (!inp || step === null || step >= inp.series.length || !this.chart.scales.x) return;
    const x = this.chart.scales.x, y = this.chart.scales.y, a = this.chart.chartArea;
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
    ctx.restore();
  }
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
  const x = chart.scales.x, a = chart.chartArea;
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
