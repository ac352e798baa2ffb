// The trade-off curves panel (Show Trade-off Curves): per detector and for the guard, detection rate
// (top chart) and median detection delay (bottom chart) against the false-alarm rate, one point per
// alpha the held-out calibration episodes allow. The point the alpha setting gives is marked; a click
// on a point, or on an alpha in the strip below, asks the host to set the alpha setting, and the
// host sends the state again with the new alpha (the marker moves then, not before: the panel shows
// what the setting is, never what it hopes it will be). The host sends the whole state each time.

import {
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import type { CurvePointView, CurvesParams, CurveView } from '../src/shared/webviewProtocol';
import { clear, h } from './dom';
import { formatNumber } from './format';
import { readTheme, type Theme } from './theme';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

let root: HTMLElement | null = null;
let charts: Chart<'line'>[] = [];

/** floor(alpha (n+1)), as the calibration's conformal rank (core/calibration.ts), at least 1. */
function rankOf(alpha: number, n: number): number {
  const x = alpha * (n + 1);
  let k = Math.floor(x);
  if (x - k > 1 - 1e-9) k += 1;
  return Math.max(1, Math.min(k, n));
}

function colorOf(c: CurveView, t: Theme): string {
  const o = t.chart.overlays;
  return { envelope: o[0], window: o[1], cusum: t.chart.score, fixed: o[3], guard: t.chart.threshold }[c.name];
}

function pct(x: number | null): string {
  return x === null ? '-' : `${(x * 100).toFixed(1)}%`;
}

type Datum = { x: number; y: number; point: CurvePointView };

function chartOf(
  box: HTMLElement,
  p: CurvesParams,
  theme: Theme,
  y: (pt: CurvePointView) => number | null,
  yTitle: string,
  onPick: (alpha: number) => void,
): Chart<'line'> {
  const canvas = h('canvas', 'curves-canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${yTitle} against false-alarm rate, per detector`);
  const plot = h('div', 'curves-plot');
  plot.append(canvas);
  box.append(plot);
  const k = rankOf(p.alpha, p.heldOut);
  const datasets: ChartDataset<'line', Datum[]>[] = [];
  const marked: Datum[] = [];
  for (const c of p.curves) {
    if (c.unavailable) continue;
    const data: Datum[] = [];
    for (const pt of c.points) {
      const v = y(pt);
      if (pt.x === null || v === null) continue;
      data.push({ x: pt.x, y: v, point: pt });
      if (pt.alpha !== null && pt.k === k) marked.push({ x: pt.x, y: v, point: pt });
    }
    const color = colorOf(c, theme);
    datasets.push({
      label: c.label,
      data,
      borderColor: color,
      backgroundColor: color,
      borderWidth: theme.chart.lineWidth,
      pointRadius: c.name === 'fixed' ? 5 : 3,
      pointHoverRadius: 6,
      pointHitRadius: 6,
      showLine: c.name !== 'fixed',
    });
  }
  datasets.push({
    label: `alpha ${formatNumber(p.alpha)} (setting)`,
    data: marked,
    borderColor: theme.chart.fg,
    backgroundColor: 'transparent',
    borderWidth: 2,
    pointStyle: 'rectRot',
    pointRadius: 9,
    pointHoverRadius: 9,
    pointHitRadius: 0,
    showLine: false,
  });
  const fg = theme.chart.fg;
  const grid = theme.chart.grid;
  return new Chart<'line', Datum[]>(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: true },
      plugins: {
        legend: { labels: { color: fg, boxWidth: 12, boxHeight: 2 } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const d = item.raw as Datum;
              const a = d.point.alpha === null ? 'fixed threshold' : `alpha ${formatNumber(d.point.alpha)}`;
              return `${item.dataset.label}: ${a}; ${d.point.detail}`;
            },
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          min: 0,
          title: { display: true, text: 'false-alarm rate', color: fg },
          ticks: { color: fg, callback: (v) => pct(Number(v)) },
          grid: { color: grid },
        },
        y: {
          type: 'linear',
          min: 0,
          title: { display: true, text: yTitle, color: fg },
          ticks: { color: fg },
          grid: { color: grid },
        },
      },
      onClick: (_e, elements) => {
        const hit = elements.find((el) => {
          const d = datasets[el.datasetIndex]?.data[el.index];
          return d && d.point.alpha !== null;
        });
        if (!hit) return;
        const alpha = datasets[hit.datasetIndex].data[hit.index].point.alpha;
        if (alpha !== null && alpha <= 0.5) onPick(alpha);
      },
    },
  }) as unknown as Chart<'line'>;
}

/** Shows the curves view in place of the replay (`replay`: the replay's root, hidden). */
export function showCurves(replay: HTMLElement, p: CurvesParams, onPick: (alpha: number) => void): void {
  replay.style.display = 'none'; // not `hidden`: the replay's stylesheet sets its display
  if (!root) {
    root = h('section', 'curves');
    document.body.append(root);
  }
  for (const c of charts) c.destroy();
  charts = [];
  clear(root);
  const theme = readTheme();
  const k = rankOf(p.alpha, p.heldOut);
  root.append(h('h2', 'curves-title', `Trade-off curves: ${p.label}`));
  const current = h(
    'p',
    'curves-current',
    `alpha ${formatNumber(p.alpha)} (setting): threshold at rank ${k} of ${p.heldOut} held-out calibration episodes, marked ◇. Click a point or an alpha below to set it.`,
  );
  current.setAttribute('aria-live', 'polite');
  root.append(current);
  root.append(
    h(
      'p',
      'curves-source',
      p.reference
        ? `False-alarm rate: measured on ${p.reference}'s recorded deployment episodes (curves marked "bound" use k/(n+1)).`
        : 'False-alarm rate: the conformal bound k/(n+1) (no reference agent episodes recorded).',
    ),
  );
  const legend = h('ul', 'curves-legend');
  for (const c of p.curves) {
    const li = h('li', `curves-legend-item curves-${c.name}`);
    const swatch = h('span', 'curves-swatch');
    swatch.style.background = colorOf(c, theme);
    li.append(swatch, h('span', 'curves-label', c.label));
    if (c.unavailable) li.append(h('span', 'curves-unavailable', ` — no curve: ${c.unavailable}`));
    else if (c.falseAlarmFrom === 'bound' && p.reference)
      li.append(h('span', 'curves-bound', ' (false alarms: bound)'));
    legend.append(li);
  }
  root.append(legend);
  const top = h('div', 'curves-chart curves-detection');
  const bottom = h('div', 'curves-chart curves-delay');
  root.append(top, bottom);
  charts.push(chartOf(top, p, theme, (pt) => pt.detection, 'detection rate', onPick));
  charts.push(chartOf(bottom, p, theme, (pt) => pt.medianDelay, 'median delay (steps)', onPick));

  const alphas = p.curves.find((c) => !c.unavailable && c.name !== 'fixed')?.points ?? [];
  const strip = h('div', 'curves-alphas');
  strip.setAttribute('role', 'group');
  strip.setAttribute('aria-label', 'alpha');
  strip.append(h('span', 'curves-alphas-label', 'alpha:'));
  for (const pt of alphas) {
    if (pt.alpha === null) continue;
    const alpha = pt.alpha;
    const b = h('button', 'curves-alpha', formatNumber(alpha));
    b.type = 'button';
    b.title = `set alpha to ${alpha} (threshold rank ${pt.k})`;
    b.setAttribute('aria-pressed', String(pt.k === k));
    b.addEventListener('click', () => onPick(alpha));
    strip.append(b);
  }
  root.append(strip);
  for (const n of p.notes) root.append(h('p', 'curves-note', `note: ${n}`));
}
