// The replay panel's message protocol (extension host <-> webview), typed once, GitLens style:
// every message is { method: 'scope/verb', params } with an `is()` guard that validates the whole
// shape. Both sides validate what they receive and silently drop anything else.
//
// Handshake: the webview posts `replay/ready` first; the host sends nothing before it (messages
// posted earlier can be dropped) and answers with `replay/load`.
// Step columns travel as Float64Array (structured clone / VS Code's ArrayBuffer transfer: a 1M-step
// column is 8 MB and ~1 ms, where JSON would be 36 MB and ~0.5 s). Per-step detail (observation,
// action, scene) is never sent in bulk: the webview asks for the steps it is about to show, a small
// batch at a time (the current step, and during playback the steps ahead of the cursor).

import type { DetectorConfig } from '../core/detectorConfig';
import type { TraceEnd, UserError } from '../core/traceFormat';
import { END_REASONS } from '../core/traceFormat';
import type { Scene } from '../core/scene';

/** 2: step details are asked for and sent in batches (replay/requestSteps, replay/stepDetails) */
export const REPLAY_PROTOCOL_VERSION = 2;
/** most steps one replay/requestSteps may ask for (and one replay/stepDetails may carry) */
export const MAX_DETAIL_BATCH = 64;

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
  /** null: a fixed threshold, no calibration; `agent`: the calibration's agent when it is not the
   *  agent that ran (run --calibration) */
  calibration: { alpha: number; file: string; computedAt: string; agent?: string } | null;
  startedAt: string;
  /** true when the environment renders scenes (the panel then shows the scene canvas) */
  hasScene: boolean;
  /** render() threw or returned something unusable: what, shown in the scene area */
  sceneProblem?: string;
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

/** A load's columns as they travel (src/shared/packedColumns.ts packs and unpacks them): a column
 *  that is told in fewer bytes goes as a rule instead of 8 bytes a step. The columns cross the
 *  extension host's connection to the window, measured at a few MB/s on a loaded machine, so a 1M-step
 *  trace's 32 MB took seconds; a fixed-threshold trace packs to its 8 MB of increments. A plain
 *  StepColumns is a valid PackedColumns. */
export interface PackedColumns {
  from: number;
  increments: Float64Array;
  /** or: S_t is the running sum of the increments from 0 (s += u, as the engine computes it), bit for bit */
  scores: Float64Array | { runningSum: true };
  /** or: every step's the same value (`repeat[0]`, which may be NaN or -Infinity) */
  thresholds: Float64Array | { repeat: Float64Array };
  /** or: the same value at every step, or equal to the scores at every step (the fixed detector's S_t) */
  statistics: Float64Array | { repeat: Float64Array } | { sameAs: 'scores' };
}

/** The trace's episode_end, as the panel receives it. */
export type ReplayEnd = Omit<TraceEnd, 'type' | 'detail'>;

/** Running-objective quantiles per step over the calibration episodes. */
export interface ReplayBand {
  p05: Float64Array;
  p50: Float64Array;
  p95: Float64Array;
  /** the longest calibration episode's steps: later steps are beyond training (the chart shades them) */
  trainedSteps?: number;
  /** the calibration's warnings (too few episodes still running from some step on, ...) */
  warnings?: string[];
}

export interface OverlaySeries {
  episodeId: string;
  /** legend text, e.g. "seed 12 (calibration)" */
  label: string;
  scores: Float64Array;
  flaggedStep: number | null;
}

/** What the webview keeps with setState (restored when the panel's page reloads). */
export interface ReplayViewState {
  episodeId: string | null;
  step: number;
  /** visible step range, or null for all */
  zoom: { from: number; to: number } | null;
  /** episode ids of overlays the user hid (legend click); overlays not listed are shown */
  hiddenOverlays: string[];
  /** playback speed in steps per second */
  speed: number;
  /** the cursor was following a live episode's newest step: a load of the same episode goes on
   *  following it (and, once the episode ended flagged, opens on its flag as the end would have) */
  follow?: boolean;
}

// ---------------------------------------------------------------------------------------------
// host -> webview

export interface LoadParams {
  meta: ReplayMeta;
  /** from must be 0 */
  steps: PackedColumns;
  /** the first alarm, or null */
  flaggedStep: number | null;
  /** null while the episode is still running (live) */
  end: ReplayEnd | null;
  band: ReplayBand | null;
  /** open at this step (e.g. a code lens "open replay at step 137"); else restored state / the flag */
  gotoStep?: number;
  /** the trace is still being read: these are its first steps, drawn early; a load of the whole
   *  trace follows (the view state is kept for it, not taken from this one) */
  reading?: { bytesRead: number; bytes: number };
}
/** New steps of a live episode; `steps.from` must equal the number of steps already loaded. Post at most ~30 Hz. */
export interface AppendParams {
  episodeId: string;
  steps: StepColumns;
  flaggedStep: number | null;
}
export interface EndParams {
  episodeId: string;
  end: ReplayEnd;
}
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
  /** in a fork comparison: the other episode's moving shapes at the same step, drawn semi-transparent */
  ghost?: Scene | null;
}
/** Details of steps the webview asked for, in the order asked; a step the host could not read is left out. */
export interface StepDetailsParams {
  episodeId: string;
  details: StepDetailParams[];
}
/** Replaces the set of overlays (an empty list removes them all). */
export interface OverlayParams {
  episodeId: string;
  overlays: OverlaySeries[];
}

/** One finished calibration (training) episode. */
export interface CalibrationEpisode {
  seed: number;
  reason: TraceEnd['reason'];
  steps: number;
  finalScore: number;
}
/** One detector's calibrated threshold, as the calibration file holds it. */
export interface CalibratedDetector {
  kind: 'envelope' | 'window' | 'cusum';
  /** threshold on the detector's native statistic */
  threshold: number;
  /** the false-alarm bound k/(n+1) */
  bound: number;
  k: number;
  n: number;
  /** false when there were too few held-out episodes for the alpha asked */
  guaranteed: boolean;
}
/** What a calibration found (read back from the calibration file it saved). */
export interface CalibrationResult {
  file: string;
  alpha: number;
  fitEpisodes: number;
  conformalEpisodes: number;
  detectors: CalibratedDetector[];
  warnings: string[];
}
/** The calibration panel's whole state, sent again on every change (a panel never shows a trace):
 *  a calibration in progress, or what it found. */
export interface CalibrationParams {
  /** "corridor / misaligned" */
  label: string;
  /** training episodes planned; 0 when unknown */
  total: number;
  /** finished episodes in the order they ended */
  episodes: CalibrationEpisode[];
  state: 'running' | 'done' | 'failed' | 'stopped';
  result: CalibrationResult | null;
  /** why it failed */
  message: string | null;
}
/** A fork and its parent shown together (issue 14): where they part and how far apart they end.
 *  `role` is what the other episode is to this one. null clears the comparison. */
export interface ForkCompare {
  role: 'fork' | 'parent';
  otherEpisodeId: string;
  /** the fork's agent (the agent that took over) */
  forkAgent: string;
  /** the step where the fork's agent took over */
  forkStep: number;
  /** the first step (>= forkStep) whose action differs; null when none does over the steps both have */
  firstDifferentAction: number | null;
  /** the fork's running objective minus the parent's, at the fork's flag, else at the fork's last step */
  gap: { step: number; at: 'flag' | 'end'; fork: number; parent: number } | null;
}
export interface ForkCompareParams {
  episodeId: string;
  compare: ForkCompare | null;
}
/** What "Find the point of no return" found for this episode. */
export interface BlameParams {
  episodeId: string;
  agent: string;
  flaggedStep: number;
  /** null: no hand-over up to the flag avoided it */
  pointOfNoReturn: number | null;
  forks: number;
  monotone: boolean;
}
/** One point of a trade-off curve as the chart draws it (report --curves, core/tradeoffCurves.ts). */
export interface CurvePointView {
  /** null for a fixed threshold (one point, no alpha) */
  alpha: number | null;
  k: number;
  /** the false-alarm rate on the reference agent's episodes, or the bound k/(n+1) (curve.falseAlarmFrom) */
  x: number | null;
  /** detection rate over the episodes the recording decides */
  detection: number | null;
  medianDelay: number | null;
  /** "18/20, 2 undecided": what the rate rests on */
  detail: string;
}
export interface CurveView {
  name: 'envelope' | 'window' | 'cusum' | 'fixed' | 'guard';
  label: string;
  falseAlarmFrom: 'reference' | 'bound';
  points: CurvePointView[];
  unavailable: string | null;
}
/** The trade-off curves panel's whole state (Show Trade-off Curves), sent again when the alpha setting changes. */
export interface CurvesParams {
  /** "corridor / misaligned" */
  label: string;
  /** the alpha setting now */
  alpha: number;
  /** held-out calibration episodes: the point of the setting is the one with rank floor(alpha (n+1)) */
  heldOut: number;
  reference: string | null;
  curves: CurveView[];
  notes: string[];
}
export interface GotoStepParams {
  episodeId: string;
  step: number;
}

export const LoadMessage = new IpcMessageType('replay/load', isLoadParams);
export const AppendMessage = new IpcMessageType('replay/append', isAppendParams);
export const EndMessage = new IpcMessageType('replay/end', isEndParams);
export const ReflagMessage = new IpcMessageType('replay/reflag', isReflagParams);
export const StepDetailsMessage = new IpcMessageType('replay/stepDetails', isStepDetailsParams);
export const OverlayMessage = new IpcMessageType('replay/overlay', isOverlayParams);
export const GotoStepMessage = new IpcMessageType('replay/gotoStep', isGotoStepParams);
export const CalibrationMessage = new IpcMessageType('replay/calibration', isCalibrationParams);
export const ForkCompareMessage = new IpcMessageType('replay/forkCompare', isForkCompareParams);
export const BlameMessage = new IpcMessageType('replay/blame', isBlameParams);
export const CurvesMessage = new IpcMessageType('replay/curves', isCurvesParams);

export type HostToWebviewMessage =
  | IpcMessage<'replay/load', LoadParams>
  | IpcMessage<'replay/append', AppendParams>
  | IpcMessage<'replay/end', EndParams>
  | IpcMessage<'replay/reflag', ReflagParams>
  | IpcMessage<'replay/stepDetails', StepDetailsParams>
  | IpcMessage<'replay/overlay', OverlayParams>
  | IpcMessage<'replay/gotoStep', GotoStepParams>
  | IpcMessage<'replay/calibration', CalibrationParams>
  | IpcMessage<'replay/forkCompare', ForkCompareParams>
  | IpcMessage<'replay/blame', BlameParams>
  | IpcMessage<'replay/curves', CurvesParams>;

const HOST_TYPES = [
  LoadMessage,
  AppendMessage,
  EndMessage,
  ReflagMessage,
  StepDetailsMessage,
  OverlayMessage,
  GotoStepMessage,
  CalibrationMessage,
  ForkCompareMessage,
  BlameMessage,
  CurvesMessage,
] as const;

/** The webview's gate: the message if it is one of ours and well-formed, else undefined. */
export function parseHostMessage(msg: unknown): HostToWebviewMessage | undefined {
  for (const t of HOST_TYPES) if (t.is(msg)) return msg as HostToWebviewMessage;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// webview -> host. Nothing here makes the host run anything by itself: `replay/forkHere` only asks the
// host to offer a fork; the user picks the agent in a VS Code quick pick (or cancels), and the fork
// goes through the same trust and preflight checks as the command.

export interface ReadyParams {
  protocol: number;
}
/** Step indices (distinct, at most MAX_DETAIL_BATCH), nearest-needed first. */
export interface RequestStepsParams {
  episodeId: string;
  steps: number[];
}

/** "Fork from here": the step at the cursor. */
export interface ForkHereParams {
  episodeId: string;
  step: number;
}
/** The user picked a point of the trade-off curves: set the alpha setting to it (0 < alpha <= 0.5, the setting's range). */
export interface SetAlphaParams {
  alpha: number;
}

export const ReadyMessage = new IpcMessageType('replay/ready', isReadyParams);
export const RequestStepsMessage = new IpcMessageType('replay/requestSteps', isRequestStepsParams);
export const ForkHereMessage = new IpcMessageType('replay/forkHere', isForkHereParams);
export const SetAlphaMessage = new IpcMessageType('replay/setAlpha', isSetAlphaParams);

export type WebviewToHostMessage =
  | IpcMessage<'replay/ready', ReadyParams>
  | IpcMessage<'replay/requestSteps', RequestStepsParams>
  | IpcMessage<'replay/forkHere', ForkHereParams>
  | IpcMessage<'replay/setAlpha', SetAlphaParams>;

const WEBVIEW_TYPES = [ReadyMessage, RequestStepsMessage, ForkHereMessage, SetAlphaMessage] as const;

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
    case 'envelope':
      return true;
    case 'window':
      return Number.isInteger(x.window) && (x.window as number) > 0;
    case 'cusum':
      return isFiniteNum(x.k);
    case 'fixed':
      return isFiniteNum(x.threshold);
    default:
      return false;
  }
}

function isCalibrationMeta(x: unknown): x is ReplayMeta['calibration'] {
  if (x === null) return true;
  return (
    isRecord(x) &&
    isFiniteNum(x.alpha) &&
    x.alpha > 0 &&
    x.alpha < 1 &&
    isStr(x.file) &&
    isStr(x.computedAt, 64) &&
    (x.agent === undefined || isStr(x.agent, MAX_ID))
  );
}

export function isReplayMeta(x: unknown): x is ReplayMeta {
  return (
    isRecord(x) &&
    isId(x.runId) &&
    isId(x.episodeId) &&
    isStr(x.scenario, MAX_ID) &&
    isStr(x.agent, MAX_ID) &&
    isStr(x.environment) &&
    typeof x.seed === 'number' &&
    Number.isInteger(x.seed) &&
    (x.distribution === 'calibration' || x.distribution === 'deployment') &&
    Number.isInteger(x.maxSteps) &&
    (x.maxSteps as number) >= 0 &&
    (x.recording === 'full' || x.recording === 'scores') &&
    (x.protocol === 'stop' || x.protocol === 'flag-only' || x.protocol === 'fallback') &&
    isDetectorConfig(x.detector) &&
    isCalibrationMeta(x.calibration) &&
    isStr(x.startedAt, 64) &&
    typeof x.hasScene === 'boolean' &&
    (x.sceneProblem === undefined || isStr(x.sceneProblem))
  );
}

export function isStepColumns(x: unknown): x is StepColumns {
  if (!isRecord(x) || !isStepIndex(x.from)) return false;
  const { increments, scores, thresholds, statistics } = x;
  if (
    !isFloat64Array(increments) ||
    !isFloat64Array(scores) ||
    !isFloat64Array(thresholds) ||
    !isFloat64Array(statistics)
  )
    return false;
  const n = scores.length;
  if (increments.length !== n || thresholds.length !== n || statistics.length !== n) return false;
  if (x.from + n > MAX_STEPS) return false;
  // thresholds and statistics may hold NaN / -Infinity: "no threshold at this step"
  return allFinite(scores) && allFinite(increments);
}

/** The columns of a load: plain, or packed (PackedColumns); the length is the increments'. */
export function isPackedColumns(x: unknown): x is PackedColumns {
  if (!isRecord(x) || !isStepIndex(x.from) || !isFloat64Array(x.increments)) return false;
  const { increments, scores, thresholds, statistics } = x;
  const n = increments.length;
  if (x.from + n > MAX_STEPS || !allFinite(increments)) return false;
  const repeat = (c: unknown) => isRecord(c) && isFloat64Array(c.repeat) && c.repeat.length === 1;
  const column = (c: unknown) => isFloat64Array(c) && c.length === n;
  const scoresOk = column(scores)
    ? allFinite(scores as Float64Array)
    : isRecord(scores) && scores.runningSum === true && x.from === 0;
  return (
    scoresOk &&
    (column(thresholds) || repeat(thresholds)) &&
    (column(statistics) || repeat(statistics) || (isRecord(statistics) && statistics.sameAs === 'scores'))
  );
}

function isUserError(x: unknown): x is UserError {
  return (
    isRecord(x) &&
    isStr(x.message, 65536) &&
    (x.stack === undefined || isStr(x.stack, 65536)) &&
    (x.file === undefined || isStr(x.file)) &&
    (x.line === undefined || isFiniteNum(x.line)) &&
    (x.column === undefined || isFiniteNum(x.column)) &&
    (x.phase === undefined || isStr(x.phase, 64))
  );
}

export function isReplayEnd(x: unknown): x is ReplayEnd {
  return (
    isRecord(x) &&
    typeof x.reason === 'string' &&
    (END_REASONS as readonly string[]).includes(x.reason) &&
    Number.isInteger(x.steps) &&
    (x.steps as number) >= 0 &&
    isFiniteNum(x.score) &&
    isOptStepIndex(x.flaggedStep) &&
    isFiniteNum(x.durationMs) &&
    (x.error === undefined || isUserError(x.error)) &&
    (x.prediction === undefined || isPrediction(x.prediction)) &&
    (x.guard === undefined || (isRecord(x.guard) && isStr(x.guard.status, 16) && isStr(x.guard.message, 4000)))
  );
}

/** The guard's fired prediction (src/core/guardTypes.ts), as the chart draws it: bounded numeric paths. */
function isPrediction(x: unknown): boolean {
  if (!isRecord(x)) return false;
  const n = Array.isArray(x.scores) ? x.scores.length : -1;
  return (
    Number.isInteger(x.step) &&
    (x.step as number) >= 0 &&
    Number.isInteger(x.horizon) &&
    Number.isInteger(x.rollouts) &&
    typeof x.replay === 'boolean' &&
    typeof x.fired === 'boolean' &&
    isFiniteNum(x.predictedScore) &&
    isFiniteNum(x.margin) &&
    (x.crossingStep === null || (Number.isInteger(x.crossingStep) && (x.crossingStep as number) >= 0)) &&
    n >= 0 &&
    n <= 10_000 &&
    (x.scores as unknown[]).every(isFiniteNum) &&
    Array.isArray(x.thresholds) &&
    x.thresholds.length === n &&
    (x.thresholds as unknown[]).every((v) => v === null || isFiniteNum(v))
  );
}

function isBand(x: unknown): x is ReplayBand {
  return (
    isRecord(x) &&
    isFloat64Array(x.p05) &&
    isFloat64Array(x.p50) &&
    isFloat64Array(x.p95) &&
    x.p05.length === x.p50.length &&
    x.p05.length === x.p95.length &&
    x.p05.length <= MAX_STEPS &&
    (x.trainedSteps === undefined || isStepIndex(x.trainedSteps)) &&
    (x.warnings === undefined ||
      (Array.isArray(x.warnings) && x.warnings.length <= 20 && x.warnings.every((w) => isStr(w, 1000))))
  );
}

function isOverlaySeries(x: unknown): x is OverlaySeries {
  return (
    isRecord(x) &&
    isId(x.episodeId) &&
    isStr(x.label, 256) &&
    isFloat64Array(x.scores) &&
    x.scores.length <= MAX_STEPS &&
    isOptStepIndex(x.flaggedStep)
  );
}

function isLoadParams(x: unknown): x is LoadParams {
  return (
    isRecord(x) &&
    isReplayMeta(x.meta) &&
    isPackedColumns(x.steps) &&
    x.steps.from === 0 &&
    isOptStepIndex(x.flaggedStep) &&
    (x.end === null || isReplayEnd(x.end)) &&
    (x.band === null || isBand(x.band)) &&
    (x.gotoStep === undefined || isStepIndex(x.gotoStep)) &&
    (x.reading === undefined ||
      (isRecord(x.reading) && isByteCount(x.reading.bytesRead) && isByteCount(x.reading.bytes)))
  );
}
function isByteCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
function isAppendParams(x: unknown): x is AppendParams {
  return isRecord(x) && isId(x.episodeId) && isStepColumns(x.steps) && isOptStepIndex(x.flaggedStep);
}
function isEndParams(x: unknown): x is EndParams {
  return isRecord(x) && isId(x.episodeId) && isReplayEnd(x.end);
}
function isReflagParams(x: unknown): x is ReflagParams {
  return (
    isRecord(x) &&
    isId(x.episodeId) &&
    isDetectorConfig(x.detector) &&
    isCalibrationMeta(x.calibration) &&
    isFloat64Array(x.thresholds) &&
    isFloat64Array(x.statistics) &&
    x.thresholds.length === x.statistics.length &&
    x.thresholds.length <= MAX_STEPS &&
    isOptStepIndex(x.flaggedStep)
  );
}

/** A scene's outer shape. Each shape is checked on its own with `isShape` by the renderer, which
 *  skips the ones it does not know (a newer environment may send kinds this panel cannot draw). */
export function isSceneShape(x: unknown): x is Scene {
  return (
    isRecord(x) &&
    isFiniteNum(x.width) &&
    x.width > 0 &&
    isFiniteNum(x.height) &&
    x.height > 0 &&
    Array.isArray(x.shapes) &&
    x.shapes.length <= 100_000
  );
}

function isStepDetailParams(x: unknown): x is StepDetailParams {
  return (
    isRecord(x) &&
    isId(x.episodeId) &&
    isStepIndex(x.step) &&
    typeof x.available === 'boolean' &&
    isFiniteNum(x.increment) &&
    isFiniteNum(x.score) &&
    isNum(x.threshold) &&
    isNum(x.statistic) &&
    isNum(x.margin) &&
    (x.reward === undefined || isNum(x.reward)) &&
    (x.terminated === undefined || typeof x.terminated === 'boolean') &&
    (x.truncated === undefined || typeof x.truncated === 'boolean') &&
    (x.fallback === undefined || typeof x.fallback === 'boolean') &&
    (x.scene === null || isSceneShape(x.scene)) &&
    (x.ghost === undefined || x.ghost === null || isSceneShape(x.ghost))
  );
}
function isStepDetailsParams(x: unknown): x is StepDetailsParams {
  if (!isRecord(x) || !isId(x.episodeId) || !Array.isArray(x.details) || x.details.length > MAX_DETAIL_BATCH)
    return false;
  const ep = x.episodeId;
  return everyIndex(x.details, (d) => isStepDetailParams(d) && d.episodeId === ep);
}
function isOverlayParams(x: unknown): x is OverlayParams {
  return (
    isRecord(x) &&
    isId(x.episodeId) &&
    Array.isArray(x.overlays) &&
    x.overlays.length <= MAX_OVERLAYS &&
    everyIndex(x.overlays, isOverlaySeries)
  );
}
function isForkCompare(x: unknown): x is ForkCompare {
  if (!isRecord(x)) return false;
  const g = x.gap;
  return (
    (x.role === 'fork' || x.role === 'parent') &&
    isId(x.otherEpisodeId) &&
    isStr(x.forkAgent, MAX_ID) &&
    isStepIndex(x.forkStep) &&
    isOptStepIndex(x.firstDifferentAction) &&
    (g === null ||
      (isRecord(g) &&
        isStepIndex(g.step) &&
        (g.at === 'flag' || g.at === 'end') &&
        isFiniteNum(g.fork) &&
        isFiniteNum(g.parent)))
  );
}
function isForkCompareParams(x: unknown): x is ForkCompareParams {
  return isRecord(x) && isId(x.episodeId) && (x.compare === null || isForkCompare(x.compare));
}
function isBlameParams(x: unknown): x is BlameParams {
  return (
    isRecord(x) &&
    isId(x.episodeId) &&
    isStr(x.agent, MAX_ID) &&
    isStepIndex(x.flaggedStep) &&
    isOptStepIndex(x.pointOfNoReturn) &&
    Number.isInteger(x.forks) &&
    (x.forks as number) >= 0 &&
    typeof x.monotone === 'boolean'
  );
}
function isForkHereParams(x: unknown): x is ForkHereParams {
  return isRecord(x) && isId(x.episodeId) && isStepIndex(x.step) && Object.keys(x).length === 2;
}
function isGotoStepParams(x: unknown): x is GotoStepParams {
  return isRecord(x) && isId(x.episodeId) && isStepIndex(x.step);
}

const MAX_CALIBRATION_EPISODES = 1_000_000;

function isCalibrationEpisode(x: unknown): x is CalibrationEpisode {
  return (
    isRecord(x) &&
    Number.isInteger(x.seed) &&
    typeof x.reason === 'string' &&
    (END_REASONS as readonly string[]).includes(x.reason) &&
    Number.isInteger(x.steps) &&
    (x.steps as number) >= 0 &&
    isNum(x.finalScore)
  );
}
function isCalibratedDetector(x: unknown): x is CalibratedDetector {
  return (
    isRecord(x) &&
    (x.kind === 'envelope' || x.kind === 'window' || x.kind === 'cusum') &&
    isNum(x.threshold) &&
    isNum(x.bound) &&
    Number.isInteger(x.k) &&
    Number.isInteger(x.n) &&
    typeof x.guaranteed === 'boolean'
  );
}
function isCalibrationResult(x: unknown): x is CalibrationResult {
  return (
    isRecord(x) &&
    isStr(x.file) &&
    isFiniteNum(x.alpha) &&
    Number.isInteger(x.fitEpisodes) &&
    Number.isInteger(x.conformalEpisodes) &&
    Array.isArray(x.detectors) &&
    x.detectors.length <= 8 &&
    everyIndex(x.detectors, isCalibratedDetector) &&
    Array.isArray(x.warnings) &&
    x.warnings.length <= 100 &&
    everyIndex(x.warnings, (w) => isStr(w))
  );
}
function isCalibrationParams(x: unknown): x is CalibrationParams {
  return (
    isRecord(x) &&
    isStr(x.label, MAX_ID) &&
    Number.isInteger(x.total) &&
    (x.total as number) >= 0 &&
    Array.isArray(x.episodes) &&
    x.episodes.length <= MAX_CALIBRATION_EPISODES &&
    everyIndex(x.episodes, isCalibrationEpisode) &&
    (x.state === 'running' || x.state === 'done' || x.state === 'failed' || x.state === 'stopped') &&
    (x.result === null || isCalibrationResult(x.result)) &&
    (x.message === null || isStr(x.message, 65536))
  );
}

function isReadyParams(x: unknown): x is ReadyParams {
  return isRecord(x) && x.protocol === REPLAY_PROTOCOL_VERSION && Object.keys(x).length === 1;
}
function isRequestStepsParams(x: unknown): x is RequestStepsParams {
  if (!isRecord(x) || !isId(x.episodeId) || Object.keys(x).length !== 2) return false;
  const s = x.steps;
  return (
    Array.isArray(s) &&
    s.length > 0 &&
    s.length <= MAX_DETAIL_BATCH &&
    everyIndex(s, isStepIndex) &&
    new Set(s).size === s.length
  );
}
export function isReplayViewState(x: unknown): x is ReplayViewState {
  if (!isRecord(x)) return false;
  const z = x.zoom;
  const zoomOk = z === null || (isRecord(z) && isStepIndex(z.from) && isStepIndex(z.to) && z.from <= z.to);
  return (
    (x.episodeId === null || isId(x.episodeId)) &&
    isStepIndex(x.step) &&
    zoomOk &&
    Array.isArray(x.hiddenOverlays) &&
    x.hiddenOverlays.length <= MAX_OVERLAYS &&
    everyIndex(x.hiddenOverlays, isId) &&
    isFiniteNum(x.speed) &&
    x.speed > 0 &&
    x.speed <= 1e7 &&
    (x.follow === undefined || typeof x.follow === 'boolean')
  );
}

const MAX_CURVE_POINTS = 10_000;
const MAX_NOTES = 64;

function isOptFinite(x: unknown): x is number | null {
  return x === null || isFiniteNum(x);
}

function isCurvePointView(x: unknown): x is CurvePointView {
  return (
    isRecord(x) &&
    (x.alpha === null || (isFiniteNum(x.alpha) && x.alpha > 0 && x.alpha < 1)) &&
    Number.isInteger(x.k) &&
    (x.k as number) >= 0 &&
    isOptFinite(x.x) &&
    isOptFinite(x.detection) &&
    isOptFinite(x.medianDelay) &&
    isStr(x.detail)
  );
}

function isCurveView(x: unknown): x is CurveView {
  return (
    isRecord(x) &&
    ['envelope', 'window', 'cusum', 'fixed', 'guard'].includes(x.name as string) &&
    isStr(x.label, MAX_ID) &&
    (x.falseAlarmFrom === 'reference' || x.falseAlarmFrom === 'bound') &&
    Array.isArray(x.points) &&
    x.points.length <= MAX_CURVE_POINTS &&
    everyIndex(x.points, isCurvePointView) &&
    (x.unavailable === null || isStr(x.unavailable))
  );
}

export function isCurvesParams(x: unknown): x is CurvesParams {
  return (
    isRecord(x) &&
    isStr(x.label, MAX_ID) &&
    isFiniteNum(x.alpha) &&
    x.alpha > 0 &&
    x.alpha < 1 &&
    Number.isInteger(x.heldOut) &&
    (x.heldOut as number) >= 1 &&
    (x.reference === null || isStr(x.reference, MAX_ID)) &&
    Array.isArray(x.curves) &&
    x.curves.length <= 16 &&
    everyIndex(x.curves, isCurveView) &&
    Array.isArray(x.notes) &&
    x.notes.length <= MAX_NOTES &&
    everyIndex(x.notes, (n) => isStr(n))
  );
}

export function isSetAlphaParams(x: unknown): x is SetAlphaParams {
  return isRecord(x) && isFiniteNum(x.alpha) && x.alpha > 0 && x.alpha <= 0.5;
}
