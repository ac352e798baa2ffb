// The replay panel: wires the host messages, the chart, the timeline, the scene and the
// inspector. Every host message is validated (parseHostMessage) and anything else is ignored.
// Drawing happens in requestAnimationFrame, at most once per frame, never per message.

import {
  AppendMessage,
  BlameMessage,
  EndMessage,
  ForkCompareMessage,
  ForkHereMessage,
  GotoStepMessage,
  OverlayMessage,
  ReadyMessage,
  ReflagMessage,
  REPLAY_PROTOCOL_VERSION,
  RequestStepsMessage,
  SetAlphaMessage,
  StepDetailsMessage,
  isReplayViewState,
  parseHostMessage,
  type BlameParams,
  type ForkCompare,
  type HostToWebviewMessage,
  type OverlaySeries,
  type ReplayBand,
  type ReplayEnd,
  type ReplayMeta,
  type ReplayViewState,
  type StepDetailParams,
} from '../src/shared/webviewProtocol';
import { unpackColumns } from '../src/shared/packedColumns';
import { DetailCache, playbackStride, wantedSteps } from './detailCache';
import { h } from './dom';
import { showCalibration } from './calibrationView';
import { showCurves } from './curvesView';
import { focusZoom } from './flagZoom';
import { positionText } from './format';
import { forkMarksPlugin, marksText, renderMarksStrip, renderTrackMarks } from './forkMarks';
import { renderHeader } from './header';
import { Inspector } from './inspector';
import { keyAction, type KeyAction } from './keyboard';
import { SceneView } from './sceneCanvas';
import { lastStepOf, ScoreChart } from './scoreChart';
import { StepSeries } from './stepSeries';
import { readTheme, watchTheme, type Theme } from './theme';
import { thresholdNote } from './thresholdNote';
import { fixedText } from './tickText';
import {
  advance,
  clampStep,
  initialTimeline,
  onGrow,
  seek,
  setSpeed,
  SPEEDS,
  speedLabel,
  togglePlay,
  type Timeline,
} from './timeline';
import { vscodeApi } from './vscodeApi';

const vscode = vscodeApi();

// ----- model
let meta: ReplayMeta | null = null;
const series = new StepSeries();
let flaggedStep: number | null = null;
let end: ReplayEnd | null = null;
let band: ReplayBand | null = null;
let overlays: OverlaySeries[] = [];
let hidden = new Set<string>();
let zoom: { from: number; to: number } | null = null;
let timeline: Timeline = initialTimeline();
const details = new DetailCache();
let lastDetail: StepDetailParams | null = null;
let theme: Theme = readTheme();
/** a fork beside its parent, and what blame found (issue 14) */
let compare: ForkCompare | null = null;
let blame: BlameParams | null = null;
/** the trace is still being read: the steps shown are its first ones, and a full load follows */
let reading: { bytesRead: number; bytes: number } | null = null;

// ----- view
const app = h('div', 'app');
const headerEl = h('header', 'header');
const chartBox = h('div', 'chart-box');
const timelineEl = h('div', 'timeline');
const detailEl = h('div', 'detail');
const sceneWrap = h('div', 'scene-wrap');
const inspectorEl = h('div', 'inspector');
detailEl.append(sceneWrap, inspectorEl);
app.append(headerEl, chartBox, timelineEl, detailEl);
document.body.append(app);

const button = (text: string, label: string, onClick: () => void) => {
  const b = h('button', 'tl-button', text);
  b.type = 'button';
  b.title = label;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
};
const firstBtn = button('⇤', 'first step (Home)', () => act('first'));
const backBtn = button('‹', 'step back (Left)', () => act('back'));
const playBtn = button('▶', 'play (Space)', () => act('togglePlay'));
const fwdBtn = button('›', 'step forward (Right)', () => act('forward'));
playBtn.classList.add('tl-play');
const lastBtn = button('⇥', 'last step (End)', () => act('last'));
const flagBtn = button('⚑', 'jump to the flagged step (F)', () => act('flag'));
flagBtn.classList.add('tl-flag');
const slider = h('input', 'tl-slider');
slider.type = 'range';
slider.min = '0';
slider.max = '0';
slider.step = '1';
slider.setAttribute('aria-label', 'step');
slider.title = 'step (0-based, as numbered in the trace)';
const stepLabel = h('span', 'tl-step', '—');
const speedSel = h('select', 'tl-speed');
speedSel.title = 'playback speed (steps per second)';
for (const s of SPEEDS) {
  const o = h('option', undefined, speedLabel(s));
  o.value = String(s);
  speedSel.append(o);
}
const forkBtn = button('↳ Fork from here', 'Fork from here: another agent takes over at the step at the cursor', () => {
  if (meta && meta.recording === 'full' && series.length)
    vscode.post(ForkHereMessage.create({ episodeId: meta.episodeId, step: timeline.step }));
});
forkBtn.classList.add('tl-fork');
const track = h('div', 'tl-track');
track.append(slider);
const zoomBtn = button('whole episode', 'show all steps (Z, or double-click the chart)', () => act('toggleZoom'));
zoomBtn.classList.add('tl-zoom');
timelineEl.append(firstBtn, backBtn, playBtn, fwdBtn, lastBtn, track, stepLabel, flagBtn, forkBtn, speedSel, zoomBtn);

const chart = new ScoreChart(
  chartBox,
  {
    onPick: (step) => {
      timeline = seek({ ...timeline, playing: false }, step, series.length);
      invalidate('step');
    },
    onZoom: (z) => setZoom(z),
    onToggleOverlay: (id) => {
      if (hidden.has(id)) hidden.delete(id);
      else hidden.add(id);
      invalidate('chart', 'state');
    },
  },
  [
    forkMarksPlugin(() =>
      meta && (compare || blame)
        ? { state: marksState(), colors: theme.chart, otherColor: otherColor(), font: theme.fontFamily }
        : null,
    ),
  ],
);
const marksStrip = h('div', 'fork-marks hidden');
marksStrip.setAttribute('role', 'status');
marksStrip.setAttribute('aria-label', 'fork and point-of-no-return marks');
chartBox.append(marksStrip);
const scene = new SceneView(sceneWrap);
const inspector = new Inspector(inspectorEl);

slider.addEventListener('input', () => {
  timeline = seek({ ...timeline, playing: false }, Number(slider.value), series.length);
  invalidate('step');
});
speedSel.addEventListener('change', () => {
  timeline = setSpeed(timeline, Number(speedSel.value));
  invalidate('state');
});
document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === 'SELECT' || (t.tagName === 'INPUT' && (t as HTMLInputElement).type !== 'range'))) return;
  const a = keyAction(e.key, e.shiftKey);
  if (!a) return;
  e.preventDefault();
  act(a);
});
watchTheme(() => {
  theme = readTheme();
  scene.setTheme(theme);
  invalidate('chart');
});

// ----- actions
function act(a: KeyAction): void {
  const n = series.length;
  const s = timeline.step;
  const stop = { ...timeline, playing: false };
  switch (a) {
    case 'togglePlay':
      timeline = togglePlay(timeline, n);
      lastFrame = performance.now();
      break;
    case 'back':
      timeline = seek(stop, s - 1, n);
      break;
    case 'forward':
      timeline = seek(stop, s + 1, n);
      break;
    case 'back10':
      timeline = seek(stop, s - 10, n);
      break;
    case 'forward10':
      timeline = seek(stop, s + 10, n);
      break;
    case 'first':
      timeline = seek(stop, 0, n);
      break;
    case 'last':
      timeline = seek(stop, n - 1, n);
      break;
    case 'flag':
      if (flaggedStep === null) break;
      timeline = seek(stop, flaggedStep, n);
      // zoomed: show the flag as the chart first opened on it, with context before and room after
      if (zoom) zoom = focusZoom(flaggedStep, fullLast()) ?? zoom;
      invalidate('chart', 'state');
      break;
    case 'toggleZoom':
      setZoom(zoom ? null : focusZoom(flaggedStep ?? s, fullLast()));
      return;
  }
  revealStep();
  invalidate('step');
}

/** Keeps the cursor inside a zoomed view, shifting the view rather than changing its span. */
function revealStep(): void {
  if (zoom && (timeline.step < zoom.from || timeline.step > zoom.to)) {
    const span = zoom.to - zoom.from;
    // the view may end a little past the last step (as the chart allows), so the end is not pinned to the edge
    const from = Math.max(
      0,
      Math.min(timeline.step - Math.round(span / 2), Math.max(fullLast() + Math.ceil(span * 0.2) - span, 0)),
    );
    zoom = { from, to: from + span };
    invalidate('chart', 'state');
  }
}

/** The last step of the chart's full axis (the episode, or a longer overlaid episode). */
function fullLast(): number {
  return lastStepOf(series.length, overlays);
}

function marksState() {
  return { compare, blame, agent: meta?.agent ?? '', steps: series.length };
}

/** the colour the chart gives the fork pair's other episode (overlays take the palette in order) */
function otherColor(): string {
  const c = theme.chart;
  const i = compare ? overlays.findIndex((o) => o.episodeId === compare!.otherEpisodeId) : -1;
  return i >= 0 ? c.overlays[i % c.overlays.length] : c.fg;
}

function seekTo(step: number): void {
  timeline = seek({ ...timeline, playing: false }, step, series.length);
  revealStep();
  invalidate('step');
}

function renderMarks(): void {
  const marks = meta ? marksText(marksState()) : [];
  renderMarksStrip(marksStrip, marks, seekTo);
  renderTrackMarks(track, marks, series.length, seekTo);
  forkBtn.disabled = !meta || meta.recording !== 'full' || series.length === 0;
}

function setZoom(z: { from: number; to: number } | null): void {
  zoom = z;
  invalidate('chart', 'state');
}

// ----- frame scheduling
type Part = 'chart' | 'step' | 'header' | 'detail' | 'state';
const dirty = new Set<Part>();
let rafPending = false;
let lastFrame = performance.now();
let shownStep = -1;
let loadPending = false;

function invalidate(...parts: Part[]): void {
  for (const p of parts) dirty.add(p);
  if (!rafPending) {
    rafPending = true;
    requestAnimationFrame(frame);
  }
}

function frame(now: number): void {
  rafPending = false;
  const t0 = performance.now();
  const n = series.length;
  if (timeline.playing) {
    timeline = advance(timeline, now - lastFrame, n, end === null, playbackStride(timeline.speed));
    revealStep();
    dirty.add('step');
    if (timeline.playing) invalidate();
  }
  lastFrame = now;
  if (timeline.step !== shownStep) dirty.add('step');
  const drewChart = dirty.has('chart');
  let decimateMs = 0;
  try {
    if (dirty.has('chart')) decimateMs = renderChart();
    if (dirty.has('header')) renderHeaderNow();
    if (dirty.has('step')) renderStep();
    if (dirty.has('detail')) renderDetail();
    if (dirty.has('state')) saveState();
  } finally {
    dirty.clear();
  }
  if (drewChart) {
    if (loadPending) {
      loadPending = false;
      // the marks stay (two per load, a handful per panel): the benchmark reads them to time an open
      performance.mark('replay/chart-drawn', { detail: { steps: series.length, reading: reading !== null } });
      performance.measure('replay/load', 'replay/load-received', 'replay/chart-drawn');
      performance.clearMeasures('replay/load');
    }
    // observers (the benchmark) see every frame; the buffer keeps none
    performance.measure('replay/frame', { start: t0, detail: { decimateMs, steps: series.length } });
    performance.clearMeasures('replay/frame');
  }
}

function renderChart(): number {
  const decimateMs = chart.render({
    series,
    flaggedStep,
    band,
    zoom,
    prediction: end?.prediction ?? null,
    afterFlagDistinct: meta !== null && meta.protocol !== 'stop',
    overlays: overlays.map((o) => ({
      id: o.episodeId,
      label: o.label,
      scores: o.scores,
      hidden: hidden.has(o.episodeId),
    })),
    colors: theme.chart,
    fontFamily: theme.fontFamily,
    thresholdNote: meta ? thresholdNote(meta) : { text: '', title: '' },
  });
  renderZoomButton();
  renderMarks();
  flagBtn.disabled = flaggedStep === null;
  chart.setCursor(series.length ? timeline.step : null);
  return decimateMs;
}

/** Zoomed: "whole episode"; showing all with a flag: "zoom to flag"; else hidden. */
function renderZoomButton(): void {
  const canFocus = zoom === null && flaggedStep !== null && focusZoom(flaggedStep, fullLast()) !== null;
  zoomBtn.classList.toggle('hidden', zoom === null && !canFocus);
  zoomBtn.textContent = zoom ? 'whole episode' : 'zoom to flag';
  const label = zoom ? 'show all steps (Z, or double-click the chart)' : 'zoom on the steps around the flag (Z)';
  zoomBtn.title = label;
  zoomBtn.setAttribute('aria-label', label);
}

function renderHeaderNow(): void {
  const f = flaggedStep !== null && flaggedStep < series.length ? flaggedStep : null;
  renderHeader(
    headerEl,
    meta && {
      meta,
      end,
      flaggedStep: f,
      steps: series.length,
      flagScore: f === null ? null : series.scores[f],
      flagThreshold: f === null ? null : series.thresholds[f],
      notes: [...readingNote(), ...calibrationNotes(band, series.length)],
      reading: reading !== null,
    },
  );
}

/** While the trace is read, what the chart shows of it (the first steps, drawn early). */
function readingNote(): string[] {
  if (!reading) return [];
  const mb = (b: number) => (b / 2 ** 20).toFixed(b < 10 * 2 ** 20 ? 1 : 0);
  return [
    `reading the trace: ${mb(reading.bytesRead)} of ${mb(reading.bytes)} MB so far; showing its first ${fixedText(series.length, 0)} steps`,
  ];
}

/** What the calibration cannot vouch for here: steps beyond its longest episode, and its warnings
 *  (e.g. too few calibration episodes still running from some step on). */
function calibrationNotes(b: ReplayBand | null, steps: number): string[] {
  if (!b) return [];
  const notes: string[] = [];
  if (b.trainedSteps !== undefined && steps > b.trainedSteps) {
    notes.push(
      `beyond training from step ${b.trainedSteps}: the longest calibration episode had ${b.trainedSteps} steps; the detector extrapolates and the false-alarm bound does not cover later steps`,
    );
  }
  for (const w of b.warnings ?? []) notes.push(`calibration: ${w}`);
  return notes;
}

function renderStep(): void {
  const n = series.length;
  timeline = { ...timeline, step: clampStep(timeline.step, n) };
  const s = timeline.step;
  shownStep = s;
  slider.max = String(Math.max(n - 1, 0));
  slider.value = String(s);
  stepLabel.textContent = positionText(s, n);
  playBtn.textContent = timeline.playing ? '❚❚' : '▶';
  playBtn.setAttribute('aria-label', timeline.playing ? 'pause (Space)' : 'play (Space)');
  speedSel.value = String(timeline.speed);
  chart.setCursor(n ? s : null);
  inspector.showNumbers(
    n
      ? {
          step: s,
          steps: n,
          increment: series.increments[s],
          score: series.scores[s],
          threshold: series.thresholds[s],
          statistic: series.statistics[s],
          flaggedStep,
          afterFlagDistinct: meta !== null && meta.protocol !== 'stop',
        }
      : null,
  );
  renderDetail();
  dirty.add('state');
}

function renderDetail(): void {
  if (!meta || !series.length) {
    inspector.showDetail(null, false);
    return;
  }
  const s = timeline.step;
  if (meta.recording === 'scores') {
    inspector.showDetail(unrecorded(s), false);
    scene.show(null, s, theme);
    return;
  }
  const d = details.get(s);
  if (d) {
    if (d !== lastDetail) {
      lastDetail = d;
      scene.show(d.scene, d.step, theme, d.ghost ?? null, ghostLabel());
    }
    inspector.showDetail(d, false);
  } else {
    inspector.showDetail(lastDetail, true);
  }
  prefetch();
}

function ghostLabel(): string {
  if (!compare) return '';
  return compare.role === 'fork' ? `the fork (agent ${compare.forkAgent})` : 'the parent';
}

function unrecorded(step: number): StepDetailParams {
  return {
    episodeId: meta!.episodeId,
    step,
    available: false,
    increment: series.increments[step],
    score: series.scores[step],
    threshold: series.thresholds[step],
    statistic: series.statistics[step],
    margin: series.scores[step] - series.thresholds[step],
    scene: null,
  };
}

/** Asks the host for the steps about to be shown (see detailCache.ts), and comes back when a
 *  request in flight is due for a retry. */
function prefetch(): void {
  if (!meta || meta.recording === 'scores') return;
  const now = performance.now();
  const wanted = wantedSteps(timeline.step, series.length, timeline.playing, timeline.speed);
  for (const steps of details.next(wanted, now))
    vscode.post(RequestStepsMessage.create({ episodeId: meta.episodeId, steps }));
  const retry = details.retryIn(now);
  if (retry !== null && retryTimer === undefined) {
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      invalidate('detail');
    }, retry + 1);
  }
}
let retryTimer: ReturnType<typeof setTimeout> | undefined;

function saveState(): void {
  // an early view of a trace still being read is not what the user chose to look at: the full
  // load that follows restores the state saved before it
  if (reading) return;
  const state: ReplayViewState = {
    episodeId: meta?.episodeId ?? null,
    step: timeline.step,
    zoom,
    hiddenOverlays: [...hidden],
    speed: timeline.speed,
    follow: timeline.follow,
  };
  vscode.setState(state);
}

// ----- host messages
function onHostMessage(m: HostToWebviewMessage, arrived: number): void {
  if (m.method === 'replay/load') {
    // when it arrived, before its validation: the chart's time counts from here
    performance.mark('replay/load-received', {
      startTime: arrived,
      detail: { steps: m.params.steps.increments.length, reading: m.params.reading !== undefined },
    });
    load(m.params);
    return;
  }
  if (m.method === 'replay/calibration') {
    showCalibration(app, m.params);
    return;
  }
  if (m.method === 'replay/curves') {
    showCurves(app, m.params, (alpha) => vscode.post(SetAlphaMessage.create({ alpha })));
    return;
  }
  if (!meta || m.params.episodeId !== meta.episodeId) return; // stale: for an episode no longer shown
  if (AppendMessage.is(m)) {
    if (!series.append(m.params.steps)) return;
    if (m.params.flaggedStep !== null && flaggedStep === null) flaggedStep = m.params.flaggedStep;
    timeline = onGrow(timeline, series.length);
    invalidate('chart', 'step', 'header');
  } else if (EndMessage.is(m)) {
    end = m.params.end;
    if (end.flaggedStep !== null) flaggedStep = end.flaggedStep;
    // a live episode that just stopped at its flag: open on the flag, unless the user looked elsewhere
    if (timeline.follow && zoom === null && end.flaggedStep !== null) {
      zoom = focusZoom(end.flaggedStep, fullLast());
      timeline = seek(timeline, end.flaggedStep, series.length);
    }
    timeline = { ...timeline, follow: false };
    invalidate('header', 'chart', 'step', 'state');
  } else if (ReflagMessage.is(m)) {
    series.reflag(m.params.thresholds, m.params.statistics);
    flaggedStep = m.params.flaggedStep;
    meta = { ...meta, detector: m.params.detector, calibration: m.params.calibration };
    invalidate('chart', 'header', 'step');
  } else if (StepDetailsMessage.is(m)) {
    details.receive(m.params.details, performance.now());
    invalidate('detail');
  } else if (OverlayMessage.is(m)) {
    overlays = m.params.overlays;
    invalidate('chart');
  } else if (ForkCompareMessage.is(m)) {
    compare = m.params.compare;
    // details asked before the comparison came carry no ghost: ask again
    details.clear();
    lastDetail = null;
    invalidate('chart', 'detail');
  } else if (BlameMessage.is(m)) {
    blame = m.params;
    invalidate('chart');
  } else if (GotoStepMessage.is(m)) {
    timeline = seek({ ...timeline, playing: false }, m.params.step, series.length);
    revealStep();
    invalidate('step');
  }
}

function load(p: Extract<HostToWebviewMessage, { method: 'replay/load' }>['params']): void {
  const steps = unpackColumns(p.steps);
  if (!steps) {
    console.error('replay panel: a load whose running sum is not finite was ignored');
    return;
  }
  // the host posts a trace's first steps before this page is ready, and again at the ready in case
  // that one was lost: the copy of the early view already shown is not drawn twice
  if (
    p.reading &&
    reading?.bytesRead === p.reading.bytesRead &&
    meta?.episodeId === p.meta.episodeId &&
    series.length === steps.increments.length
  )
    return;
  loadPending = true;
  reading = p.reading ?? null;
  meta = p.meta;
  series.load(steps);
  flaggedStep = p.flaggedStep ?? p.end?.flaggedStep ?? null;
  end = p.end;
  band = p.band;
  overlays = [];
  compare = null;
  blame = null;
  details.clear();
  lastDetail = null;
  app.classList.toggle('no-scene', !p.meta.hasScene);
  scene.problem = p.meta.sceneProblem ?? null;
  const n = series.length;
  const saved = vscode.getState();
  timeline = initialTimeline();
  zoom = null;
  hidden = new Set();
  const same = isReplayViewState(saved) && saved.episodeId === p.meta.episodeId;
  // a live episode the cursor was following that has ended since (the panel loaded again, e.g. its
  // webview reloaded): it opens as a finished episode does, on its flag
  const followedToEnd = same && saved.follow === true && p.end !== null;
  if (same && !followedToEnd) {
    timeline = setSpeed(seek(timeline, saved.step, n), saved.speed);
    // still following a live episode: on its newest step, and on when it grows
    if (saved.follow && p.end === null) timeline = { ...seek(timeline, n - 1, n), follow: true };
    zoom = saved.zoom;
    hidden = new Set(saved.hiddenOverlays);
  } else {
    const start = p.flaggedStep ?? n - 1;
    timeline = { ...seek(timeline, start, n), follow: p.end === null && p.flaggedStep === null };
    // a finished, flagged episode opens zoomed around its flag (Z shows the whole episode)
    if (p.end !== null && p.flaggedStep !== null) zoom = focusZoom(p.flaggedStep, n - 1);
  }
  if (p.gotoStep !== undefined) timeline = seek(timeline, p.gotoStep, n);
  if (!p.meta.hasScene || p.meta.sceneProblem) scene.show(null, null, theme);
  invalidate('chart', 'header', 'step', 'detail', 'state');
}

window.addEventListener('message', (e: MessageEvent) => {
  const arrived = performance.now();
  const m = parseHostMessage(e.data);
  if (!m) return;
  try {
    onHostMessage(m, arrived);
  } catch (err) {
    console.error('replay panel: message failed', m.method, err);
  }
});

renderHeader(headerEl, null);
inspector.showNumbers(null);
performance.mark('replay/ready-posted');
vscode.post(ReadyMessage.create({ protocol: REPLAY_PROTOCOL_VERSION }));
