// The replay panel's message protocol (extension host <-> webview), typed once, GitLens style:
// every message is { method: 'scope/verb', params } with an `is()` guard that validates the whole
// shape. Both sides validate what they receive and silently drop anything else.
//
// Handshake: the webview posts `replay/ready` first; the host sends nothing before it (messages
// posted earlier can be dropped) and answers with `replay/load`.
// Step columns travel as Float64Array (structured clone / VS Code's ArrayBuffer transfer: a 1M-step
// column is 8 MB and ~1 ms, where JSON would be 36 MB and ~0.5 s). Per-step detail (observation,
// action, scene) is never sent in bulk: the webview asks for one step at a time.

import type { DetectorConfig } from '../core/detectorConfig';
import type { TraceEnd, UserError } from '../core/traceFormat';
import { END_REASONS } from '../core/traceFormat';
import type { Scene } from '../core/scene';

export const REPLAY_PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Message machinery

export interface IpcMessage<M extends string = string, P = unknown> {
  method: M;
  params: P;
}

export class IpcMessageType<M extends string, P> {
  constructor(
    readonly method: M,
    /** validates params completely: a message that passes is safe to use as typed */
    readonly validate: (params: unknown) => params is P,
  ) {}

  is(msg: unknown): msg is IpcMessage<M, P> {
    return isRecord(msg) && msg.method === this.method && this.validate(msg.params);
  }

  create(params: P): IpcMessage<M, P> {
    return { method: this.method, params };
  }
}

// ---------------------------------------------------------------------------------------------
// Shared data shapes

/** The trace header as plain data, for the panel's header line. */
export interface ReplayMeta {
  runId: string;
  episodeId: string;
  scenario: string;
  agent: string;
  environment: string;
  seed: number;
  distribution: 'calibration' | 'deployment';
  maxSteps: number;
  recording: 'full' | 'scores';
  /** 'stop' | 'flag-only' | 'fallback' */
  protocol: 'stop' | 'flag-only' | 'fallback';
  detector: DetectorConfig;
  /** null: a fixed threshold, no calibration */
  calibration: { alpha: number; file: string; computedAt: string } | null;
  startedAt: string;
  /** true when the environment renders scenes (the panel then shows the scene canvas) */
  hasScene: boolean;
}

/** Step data as columns, steps `from` .. `from + length - 1`. All four columns have one length. */
export interface StepColumns {
  from: number;
  increments: Float64Array;
  /** the running objective S_t */
  scores: Float64Array;
  /** running-objective level below which the step alarms; NaN/-Infinity: no threshold at that step */
  thresholds: Float64Array;
  /** the detector's native statistic; NaN when not defined */
  statistics: Float64Array;
}

/** The trace's episode_end, as the panel receives it. */
export type ReplayEnd = Omit<TraceEnd, 'type' | 'detail'>;

/** Running-objective quantiles per step over the calibration episodes. */
export interface ReplayBand {
  p05: Float64Array;
  p50: Float64Array;
  p95: Float64Array;
}

export interface OverlaySeries {
  episodeId: string;
  /** legend text, e.g. "seed 12 (calibration)" */
  label: string;
  scores: Float64Array;
  flaggedStep: number | null;
}

/** What the webview keeps with setState and reports with `replay/stateChanged`. */
export interface ReplayViewState {
  episodeId: string | null;
  step: number;
  /** visible step range, or null for all */
  zoom: { from: number; to: number } | null;
  /** episode ids of overlays the user hid (legend click); overlays not listed are shown */
  hiddenOverlays: string[];
  /** playback speed in steps per second */
  speed: number;
}

// ---------------------------------------------------------------------------------------------
// host -> webview

export interface LoadParams {
  meta: ReplayMeta;
  /** from must be 0 */
  steps: StepColumns;
  /** the first alarm, or null */
  flaggedStep: number | null;
  /** null while the episode is still running (live) */
  end: ReplayEnd | null;
  band: ReplayBand | null;
  /** open at this step (e.g. a code lens "open replay at step 137"); else restored state / the flag */
  gotoStep?: number;
}
/** New steps of a live episode; `steps.from` must equal the number of steps already loaded. Post at most ~30 Hz. */
export interface AppendParams { episodeId: string; steps: StepColumns; flaggedStep: number | null; }
export interface EndParams { episodeId: string; end: ReplayEnd; }
/** Thresholds (and statistics) re-evaluated after a settings change; columns cover all steps loaded. */
export interface ReflagParams {
  episodeId: string;
  detector: DetectorConfig;
  calibration: ReplayMeta['calibration'];
  thresholds: Float64Array;
  statistics: Float64Array;
  flaggedStep: number | null;
}
export interface StepDetailParams {
  episodeId: string;
  step: number;
  /** false for `recording: scores` traces, or when the step line could not be read */
  available: boolean;
  action?: unknown;
  observation?: unknown;
  info?: unknown;
  reward?: number;
  terminated?: boolean;
  truncated?: boolean;
  fallback?: boolean;
  increment: number;
  score: number;
  threshold: number;
  statistic: number;
  /** score - threshold (negative: below the threshold) */
  margin: number;
  /** the step's scene resolved: static shapes of the reset scene first, then this step's shapes */
  scene: Scene | null;
}
/** Replaces the set of overlays (an empty list removes them all). */
export interface OverlayParams { episodeId: string; overlays: OverlaySeries[]; }
export interface GotoStepParams { episodeId: string; step: number; }

export const LoadMessage = new IpcMessageType('replay/load', isLoadParams);
export const AppendMessage = new IpcMessageType('replay/append', isAppendParams);
export const EndMessage = new IpcMessageType('replay/end', isEndParams);
export const ReflagMessage = new IpcMessageType('replay/reflag', isReflagParams);
export const StepDetailMessage = new IpcMessageType('replay/stepDetail', isStepDetailParams);
export const OverlayMessage = new IpcMessageType('replay/overlay', isOverlayParams);
export const GotoStepMessage = new IpcMessageType('replay/gotoStep', isGotoStepParams);

export type HostToWebviewMessage =
  | IpcMessage<'replay/load', LoadParams>
  | IpcMessage<'replay/append', AppendParams>
  | IpcMessage<'replay/end', EndParams>
  | IpcMessage<'replay/reflag', ReflagParams>
  | IpcMessage<'replay/stepDetail', StepDetailParams>
  | IpcMessage<'replay/overlay', OverlayParams>
  | IpcMessage<'replay/gotoStep', GotoStepParams>;

const HOST_TYPES = [LoadMessage, AppendMessage, EndMessage, ReflagMessage, StepDetailMessage, OverlayMessage, GotoStepMessage] as const;

/** The webview's gate: the message if it is one of ours and well-formed, else undefined. */
export function parseHostMessage(msg: unknown): HostToWebviewMessage | undefined {
  for (const t of HOST_TYPES) if (t.is(msg)) return msg as HostToWebviewMessage;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// webview -> host (nothing here makes the host run, open or execute anything)

export interface ReadyParams { protocol: number; }
export interface RequestStepParams { episodeId: string; step: number; }
export interface StateChangedParams { state: ReplayViewState; }

export const ReadyMessage = new IpcMessageType('replay/ready', isReadyParams);
export const RequestStepMessage = new IpcMessageType('replay/requestStep', isRequestStepParams);
export const StateChangedMessage = new IpcMessageType('replay/stateChanged', isStateChangedParams);

export type WebviewToHostMessage =
  | IpcMessage<'replay/ready', ReadyParams>
  | IpcMessage<'replay/requestStep', RequestStepParams>
  | IpcMessage<'replay/stateChanged', StateChangedParams>;

const WEBVIEW_TYPES = [ReadyMessage, RequestStepMessage, StateChangedMessage] as const;

/** The host's gate for `webview.onDidReceiveMessage`: the message if valid, else undefined. */
export function parseWebviewMessage(msg: unknown): WebviewToHostMessage | undefined {
  for (const t of WEBVIEW_TYPES) if (t.is(msg)) return msg as WebviewToHostMessage;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Validators. Strings and arrays from the other side are bounded so a bad message cannot make
// the receiver allocate without limit.

const MAX_ID = 512;
const MAX_TEXT = 4096;
const MAX_STEPS = 50_000_000;
export const MAX_OVERLAYS = 64;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function isStr(x: unknown, max = MAX_TEXT): x is string {
  return typeof x === 'string' && x.length <= max;
}
function isId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_ID;
}
function isFiniteNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
/** A number that may be NaN / +-Infinity (thresholds, statistics, margins) */
function isNum(x: unknown): x is number {
  return typeof x === 'number';
}
export function isStepIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < MAX_STEPS;
}
function isOptStepIndex(x: unknown): x is number | null {
  return x === null || isStepIndex(x);
}
/** Realm-safe: a Float64Array made in another frame still passes. */
export function isFloat64Array(x: unknown): x is Float64Array {
  return ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === '[object Float64Array]';
}
/** Array.every skips holes, and a structured clone keeps them: check every index. */
function everyIndex(a: unknown[], pred: (x: unknown) => boolean): boolean {
  for (let i = 0; i < a.length; i++) if (!pred(a[i])) return false;
  return true;
}
function allFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

export function isDetectorConfig(x: unknown): x is DetectorConfig {
  if (!isRecord(x)) return false;
  switch (x.kind) {
    case 'envelope': return true;
    case 'window': return Number.isInteger(x.window) && (x.window as number) > 0;
    case 'cusum': return isFiniteNum(x.k);
    case 'fixed': return isFiniteNum(x.threshold);
    default: return false;
  }
}

function isCalibrationMeta(x: unknown): x is ReplayMeta['calibration'] {
  if (x === null) return true;
  return isRecord(x) && isFiniteNum(x.alpha) && x.alpha > 0 && x.alpha < 1 && isStr(x.file) && isStr(x.computedAt, 64);
}

export function isReplayMeta(x: unknown): x is ReplayMeta {
  return isRecord(x)
    && isId(x.runId) && isId(x.episodeId)
    && isStr(x.scenario, MAX_ID) && isStr(x.agent, MAX_ID) && isStr(x.environment)
    && typeof x.seed === 'number' && Number.isInteger(x.seed)
    && (x.distribution === 'calibration' || x.distribution === 'deployment')
    && Number.isInteger(x.maxSteps) && (x.maxSteps as number) >= 0
    && (x.recording === 'full' || x.recording === 'scores')
    && (x.protocol === 'stop' || x.protocol === 'flag-only' || x.protocol === 'fallback')
    && isDetectorConfig(x.detector)
    && isCalibrationMeta(x.calibration)
    && isStr(x.startedAt, 64)
    && typeof x.hasScene === 'boolean';
}

export function isStepColumns(x: unknown): x is StepColumns {
  if (!isRecord(x) || !isStepIndex(x.from)) return false;
  const { increments, scores, thresholds, statistics } = x;
  if (!isFloat64Array(increments) || !isFloat64Array(scores) || !isFloat64Array(thresholds) || !isFloat64Array(statistics)) return false;
  const n = scores.length;
  if (increments.length !== n || thresholds.length !== n || statistics.length !== n) return false;
  if (x.from + n > MAX_STEPS) return false;
  // thresholds and statistics may hold NaN / -Infinity: "no threshold at this step"
  return allFinite(scores) && allFinite(increments);
}

function isUserError(x: unknown): x is UserError {
  return isRecord(x) && isStr(x.message, 65536)
    && (x.stack === undefined || isStr(x.stack, 65536))
    && (x.file === undefined || isStr(x.file))
    && (x.line === undefined || isFiniteNum(x.line))
    && (x.column === undefined || isFiniteNum(x.column))
    && (x.phase === undefined || isStr(x.phase, 64));
}

export function isReplayEnd(x: unknown): x is ReplayEnd {
  return isRecord(x)
    && typeof x.reason === 'string' && (END_REASONS as readonly string[]).includes(x.reason)
    && Number.isInteger(x.steps) && (x.steps as number) >= 0
    && isFiniteNum(x.score)
    && isOptStepIndex(x.flaggedStep)
    && isFiniteNum(x.durationMs)
    && (x.error === undefined || isUserError(x.error));
}

function isBand(x: unknown): x is ReplayBand {
  return isRecord(x) && isFloat64Array(x.p05) && isFloat64Array(x.p50) && isFloat64Array(x.p95)
    && x.p05.length === x.p50.length && x.p05.length === x.p95.length && x.p05.length <= MAX_STEPS;
}

function isOverlaySeries(x: unknown): x is OverlaySeries {
  return isRecord(x) && isId(x.episodeId) && isStr(x.label, 256) && isFloat64Array(x.scores)
    && x.scores.length <= MAX_STEPS && isOptStepIndex(x.flaggedStep);
}

function isLoadParams(x: unknown): x is LoadParams {
  return isRecord(x) && isReplayMeta(x.meta) && isStepColumns(x.steps) && x.steps.from === 0
    && isOptStepIndex(x.flaggedStep)
    && (x.end === null || isReplayEnd(x.end))
    && (x.band === null || isBand(x.band))
    && (x.gotoStep === undefined || isStepIndex(x.gotoStep));
}
function isAppendParams(x: unknown): x is AppendParams {
  return isRecord(x) && isId(x.episodeId) && isStepColumns(x.steps) && isOptStepIndex(x.flaggedStep);
}
function isEndParams(x: unknown): x is EndParams {
  return isRecord(x) && isId(x.episodeId) && isReplayEnd(x.end);
}
function isReflagParams(x: unknown): x is ReflagParams {
  return isRecord(x) && isId(x.episodeId) && isDetectorConfig(x.detector) && isCalibrationMeta(x.calibration)
    && isFloat64Array(x.thresholds) && isFloat64Array(x.statistics)
    && x.thresholds.length === x.statistics.length && x.thresholds.length <= MAX_STEPS
    && isOptStepIndex(x.flaggedStep);
}

/** A scene's outer shape. Each shape is checked on its own with `isShape` by the renderer, which
 *  skips the ones it does not know (a newer environment may send kinds this panel cannot draw). */
export function isSceneShape(x: unknown): x is Scene {
  return isRecord(x) && isFiniteNum(x.width) && x.width > 0 && isFiniteNum(x.height) && x.height > 0
    && Array.isArray(x.shapes) && x.shapes.length <= 100_000;
}

function isStepDetailParams(x: unknown): x is StepDetailParams {
  return isRecord(x) && isId(x.episodeId) && isStepIndex(x.step) && typeof x.available === 'boolean'
    && isFiniteNum(x.increment) && isFiniteNum(x.score) && isNum(x.threshold) && isNum(x.statistic) && isNum(x.margin)
    && (x.reward === undefined || isNum(x.reward))
    && (x.terminated === undefined || typeof x.terminated === 'boolean')
    && (x.truncated === undefined || typeof x.truncated === 'boolean')
    && (x.fallback === undefined || typeof x.fallback === 'boolean')
    && (x.scene === null || isSceneShape(x.scene));
}
function isOverlayParams(x: unknown): x is OverlayParams {
  return isRecord(x) && isId(x.episodeId) && Array.isArray(x.overlays) && x.overlays.length <= MAX_OVERLAYS
    && everyIndex(x.overlays, isOverlaySeries);
}
function isGotoStepParams(x: unknown): x is GotoStepParams {
  return isRecord(x) && isId(x.episodeId) && isStepIndex(x.step);
}

function isReadyParams(x: unknown): x is ReadyParams {
  return isRecord(x) && x.protocol === REPLAY_PROTOCOL_VERSION && Object.keys(x).length === 1;
}
function isRequestStepParams(x: unknown): x is RequestStepParams {
  return isRecord(x) && isId(x.episodeId) && isStepIndex(x.step) && Object.keys(x).length === 2;
}
export function isReplayViewState(x: unknown): x is ReplayViewState {
  if (!isRecord(x)) return false;
  const z = x.zoom;
  const zoomOk = z === null || (isRecord(z) && isStepIndex(z.from) && isStepIndex(z.to) && z.from <= z.to);
  return (x.episodeId === null || isId(x.episodeId)) && isStepIndex(x.step) && zoomOk
    && Array.isArray(x.hiddenOverlays) && x.hiddenOverlays.length <= MAX_OVERLAYS && everyIndex(x.hiddenOverlays, isId)
    && isFiniteNum(x.speed) && x.speed > 0 && x.speed <= 1e7;
}
function isStateChangedParams(x: unknown): x is StateChangedParams {
  return isRecord(x) && isReplayViewState(x.state) && Object.keys(x).length === 1;
}
