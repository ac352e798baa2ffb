// One episode's trace and state: takes the runner's validated records, runs the engine's own
// monitor over the increments (the authority for score, threshold and flag), writes trace lines,
// batches step events, and concludes the episode the first time something decides how it ends.
// Ordering rules live here: reset first, step indexes strictly consecutive, nothing past the flag
// under `stop`, nothing past the end.
import type { Monitor } from '../core/detectors';
import type { EndReason, TraceEnd, TraceHeader, TraceStep, UserError } from '../core/traceFormat';
import { checkReset } from '../core/traceRecordValidate';
import type { PredictionRecord, RestoredRecord, RunnerRecord, StepRecord } from '../core/wire';
import type { EngineEvent } from '../shared/engineEvents';
import { excerpt } from './recordValidate';
import type { RunnerSink } from './runnerProcess';
import type { StreamName } from './outputCapture';
import { TraceWriter } from './traceWriter';
import { addScoresLine, scoresLineTail } from './scoresLine';
import { addFullStepLine } from './fullStepLine';
import type { EpisodeResult, ForkSnapshotPlan } from './types';
import type { ProtocolSpec } from '../core/scenario';
import type { Recording } from '../core/traceFormat';
import type { GuardConfig, GuardNotice, GuardPrediction } from '../core/guardTypes';
import { predictionOf, verifyPrediction } from '../core/guard';

export interface Outcome {
  reason: EndReason;
  error?: UserError;
  detail?: Record<string, unknown>;
  /** the child cannot be trusted with another episode */
  replaceChild: boolean;
}

export interface EpisodeSetup {
  runId: string;
  episodeId: string;
  seed: number;
  trace: string;
  header: TraceHeader;
  recording: Recording;
  protocol: ProtocolSpec;
  maxSteps: number;
  monitor: Monitor;
  /** the predictive guard asked for, or null */
  guard?: GuardConfig | null;
  /** the scenario's harm key: steps whose info[key] is truthy are harmful events */
  harmKey?: string | null;
  memoryLimitMb: number;
  emit: (e: EngineEvent) => void;
  /** a fork: how many steps it replays, and the snapshots it takes or restores (forkSession.ts) */
  fork?: { replaySteps: number; snapshots?: ForkSnapshotPlan };
}

export class EpisodeRecorder implements RunnerSink {
  private readonly writer: TraceWriter;
  private readonly t0 = Date.now();
  private steps = 0;
  private incs = new Float64Array(1024);
  private gotReset = false;
  private outcome: Outcome | null = null;
  private finished: EpisodeResult | null = null;
  private resolveEnded!: (o: Outcome) => void;
  /** resolves with the first outcome: from records, or from the supervisor (timeouts, exits, abort) */
  readonly ended: Promise<Outcome> = new Promise((r) => (this.resolveEnded = r));
  /** the runner reported its own end (end or error record): it is idle again */
  runnerDone = false;
  private resolveRunnerDone!: () => void;
  readonly runnerDonePromise: Promise<void> = new Promise((r) => (this.resolveRunnerDone = r));
  /** time of the last input from the runner, for the step timeout */
  lastInputAt = Date.now();
  private evFrom = 0;
  private evScores: number[] = [];
  private evThresholds: number[] = [];
  private lastThreshold = NaN;
  private lastThresholdText = 'null';
  /** the step line's ends for the last threshold, without and with the flag (a full recording's
   *  go on with the runner's record: scoresLineTail's `open`) */
  private lineTails: Uint8Array[];
  private readonly full: boolean;
  private readonly stopAtFlag: boolean;
  /** the guard's look-ahead that fired (the engine's recomputation), its latest notice, its measure */
  private fired: GuardPrediction | null = null;
  private guardNotice: GuardNotice | null = null;
  private guardExtreme: number | null | undefined;
  /** a non-firing look-ahead, written on the next step line */
  private pendingLookahead: GuardPrediction | null = null;
  private harmSteps: number[] = [];
  private sceneProblem: UserError | null = null;

  constructor(private readonly s: EpisodeSetup) {
    this.writer = new TraceWriter(s.trace);
    this.writer.add(s.header);
    this.writer.flush();
    this.stopAtFlag = s.protocol === 'stop';
    this.full = s.recording === 'full';
    this.lineTails = [scoresLineTail('null', false, this.full), scoresLineTail('null', true, this.full)];
  }

  get stepCount(): number {
    return this.steps;
  }

  get started(): boolean {
    return this.gotReset;
  }

  get concluded(): boolean {
    return this.outcome !== null;
  }

  /** The runner ended this episode itself and nothing condemned the child: it may run the next. */
  get handsOver(): boolean {
    return this.runnerDone && this.outcome !== null && !this.outcome.replaceChild;
  }

  /** Decides how the episode ends (first caller wins). */
  conclude(o: Outcome): void {
    if (this.outcome) {
      // a later finding can still condemn the child (e.g. steps past the flag after flagged_stop)
      if (o.replaceChild) this.outcome.replaceChild = true;
      return;
    }
    this.outcome = o;
    this.resolveEnded(o);
  }

  private markRunnerDone(): void {
    this.runnerDone = true;
    this.resolveRunnerDone();
  }

  // ---- RunnerSink
  record(rec: RunnerRecord, line = ''): void {
    this.lastInputAt = Date.now();
    const plan = this.s.fork?.snapshots;
    if (plan && 'take' in plan && (rec.t === 'reset' || (rec.t === 'step' && rec.step < this.s.fork!.replaySteps)))
      plan.take.capture.push({ rec, line });
    switch (rec.t) {
      case 'reset':
        if (rec.episodeId !== this.s.episodeId)
          return this.breach(
            `reset record for episode ${JSON.stringify(rec.episodeId)} during ${this.s.episodeId}`,
            rec,
          );
        if (this.gotReset) return this.breach('a second reset record', rec);
        if (rec.scene !== undefined) {
          // a display problem never stops monitoring: an unusable scene is dropped and noted
          const p = checkReset({ scene: rec.scene });
          if (p) {
            rec = { ...rec, scene: undefined };
            this.noteSceneProblem({ message: `the environment's scene at reset is unusable: ${p}`, phase: 'render' });
          }
        }
        this.gotReset = true;
        if (this.outcome) return;
        if (rec.sceneProblem) this.noteSceneProblem(rec.sceneProblem);
        this.writer.add(
          this.s.recording === 'full'
            ? {
                type: 'reset',
                observation: rec.observation,
                info: rec.info,
                ...(rec.scene ? { scene: rec.scene } : {}),
                ...(this.sceneProblem && rec.sceneProblem ? { sceneProblem: this.sceneProblem } : {}),
              }
            : { type: 'reset' },
        );
        return;
      case 'step':
        return this.onStep(rec, line);
      case 'end':
        if (rec.episodeId !== this.s.episodeId)
          return this.breach(`end record for episode ${JSON.stringify(rec.episodeId)} during ${this.s.episodeId}`, rec);
        if (!this.gotReset) return this.breach('end record before the reset record', rec);
        if (rec.steps !== this.steps)
          return this.breach(`end record says ${rec.steps} steps; ${this.steps} were received`, rec);
        if (rec.reason === 'predicted_stop' && !(this.stopAtFlag && this.fired && this.fired.step === this.steps)) {
          return this.breach(
            `end record says predicted_stop at step ${this.steps} without a fired prediction for that step under protocol stop`,
            rec,
          );
        }
        if (rec.guardExtreme !== undefined) this.guardExtreme = rec.guardExtreme;
        if (rec.harmSteps !== undefined && this.s.recording === 'scores')
          this.harmSteps = rec.harmSteps.filter((h) => h < this.steps);
        this.markRunnerDone();
        this.conclude({
          reason:
            this.s.monitor.flaggedStep >= 0 && this.stopAtFlag
              ? 'flagged_stop'
              : this.fired && this.stopAtFlag
                ? 'predicted_stop'
                : 'completed',
          replaceChild: false,
        });
        return;
      case 'prediction':
        return this.onPrediction(rec);
      case 'guard': {
        if (rec.episodeId !== this.s.episodeId)
          return this.breach(
            `guard record for episode ${JSON.stringify(rec.episodeId)} during ${this.s.episodeId}`,
            rec,
          );
        if (!this.s.guard) return this.breach('guard record in an episode run without the guard', rec);
        const notice: GuardNotice = { status: rec.status, message: rec.message.slice(0, 2000) };
        if (rec.module !== undefined) notice.module = rec.module.slice(0, 1000);
        if (rec.replay !== undefined) notice.replay = rec.replay;
        if (rec.copies !== undefined) notice.copies = rec.copies;
        this.guardNotice = notice;
        this.s.emit({ type: 'guard', episodeId: this.s.episodeId, notice });
        return;
      }
      case 'error':
        if (rec.episodeId !== this.s.episodeId)
          return this.breach(
            `error record for episode ${JSON.stringify(rec.episodeId)} during ${this.s.episodeId}`,
            rec,
          );
        this.markRunnerDone();
        this.conclude({ reason: 'crashed', error: sanitizeError(rec.error), replaceChild: rec.fatal === true });
        return;
      case 'scores':
        if (this.s.recording !== 'scores') return this.breach('scores record in a full recording', rec);
        if (!this.gotReset) return this.breach('scores record before the reset record', rec);
        if (rec.from !== this.steps)
          return this.breach(`scores from step ${rec.from}; expected step ${this.steps} (out of order)`, rec);
        return;
      case 'hello':
        return this.breach('hello record during an episode', rec);
      case 'snapshot':
        if (rec.episodeId !== this.s.episodeId || !plan || !('take' in plan))
          return this.breach('snapshot record in an episode that keeps no snapshots', rec);
        plan.take.onSnapshot(rec);
        return;
      case 'restored':
        return this.onRestored(rec, plan);
    }
  }

  scores(values: Float64Array): void {
    if (this.outcome) {
      if (values.length) this.conclude({ reason: 'protocol_error', replaceChild: true });
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const u = values[i];
      if (!Number.isFinite(u)) return this.breach(`non-finite increment ${u} for step ${this.steps}`, null);
      if (this.outcome) return this.breach(`increment for step ${this.steps} after the episode ended`, null);
      this.push(u, null);
    }
  }

  protocolError(message: string, bad: string): void {
    this.conclude({ reason: 'protocol_error', detail: { message, record: bad }, replaceChild: true });
  }

  chunkDone(): void {
    this.lastInputAt = Date.now();
    if (!this.finished) this.writer.writeSoon();
  }

  memoryExceeded(rssBytes: number): void {
    this.conclude({
      reason: 'oom',
      detail: {
        limitMb: this.s.memoryLimitMb,
        rssMb: Math.round(rssBytes / 1048576),
        cause: 'resident memory of the runner and its descendants',
      },
      replaceChild: true,
    });
  }

  outputFlood(stream: StreamName, bytes: number): void {
    this.conclude({ reason: 'crashed', detail: { message: 'output flood', stream, bytes }, replaceChild: true });
  }

  // ----
  private breach(message: string, rec: RunnerRecord | null): void {
    if (this.outcome) {
      // after the end was decided (e.g. steps past a stop flag): the trace is final, the child is not trusted
      this.conclude({ reason: 'protocol_error', replaceChild: true });
      return;
    }
    this.protocolError(message, rec ? excerpt(safeJson(rec)) : '');
  }

  private onStep(rec: StepRecord, line: string): void {
    if (this.s.recording !== 'full') return this.breach('step record in a scores-only recording', rec);
    if (!this.gotReset) return this.breach('step record before the reset record', rec);
    if (this.outcome) return this.breach(`step ${rec.step} after the episode ended`, rec);
    if (rec.step !== this.steps) return this.breach(`step ${rec.step} out of order; expected step ${this.steps}`, rec);
    if (this.fired && this.fired.step === rec.step && this.stopAtFlag)
      return this.breach(`step ${rec.step} after the guard fired before it under protocol stop`, rec);
    if (
      this.s.harmKey &&
      rec.info &&
      typeof rec.info === 'object' &&
      (rec.info as Record<string, unknown>)[this.s.harmKey]
    )
      this.harmSteps.push(rec.step);
    if (rec.scene !== undefined) {
      // a display problem never stops monitoring: an unusable scene is dropped (the line is then
      // re-serialized, not spliced) and noted
      const p = checkReset({ scene: rec.scene });
      if (p) {
        rec = { ...rec, scene: undefined };
        line = '';
        this.noteSceneProblem({
          message: `the environment's scene at step ${rec.step} is unusable: ${p.replace(/^reset/, 'step')}`,
          phase: 'render',
        });
      }
    }
    if (rec.sceneProblem) this.noteSceneProblem(rec.sceneProblem);
    this.push(rec.increment, rec, line);
  }

  /** The runner started from a snapshot: the records of the replay that kept it stand for the reset
   *  and the steps before it, written exactly as they were then (the monitor goes through them too). */
  private onRestored(rec: RestoredRecord, plan: ForkSnapshotPlan | undefined): void {
    if (rec.episodeId !== this.s.episodeId || !plan || !('restore' in plan) || plan.restore.step !== rec.step)
      return this.breach(`restored record (step ${rec.step}) in an episode that restores no such snapshot`, rec);
    if (this.gotReset) return this.breach('restored record after the reset record', rec);
    for (const r of plan.restore.records)
      this.record(r.rec.t === 'reset' ? { ...r.rec, episodeId: this.s.episodeId } : r.rec, r.line);
  }

  /** The episode's scene problem: kept for the end record and announced once (the CLI prints it
   *  once per run). The first one counts; a runner sends only one. */
  private noteSceneProblem(p: UserError): void {
    if (this.sceneProblem) return;
    this.sceneProblem = sanitizeError(p);
    this.s.emit({ type: 'scene_problem', episodeId: this.s.episodeId, problem: this.sceneProblem });
  }

  private push(u: number, rec: StepRecord | null, line = ''): void {
    if (this.steps >= this.s.maxSteps) return this.breach(`step ${this.steps} beyond maxSteps ${this.s.maxSteps}`, rec);
    const m = this.s.monitor;
    const before = m.flaggedStep;
    m.push(u);
    const flag = before < 0 && m.flaggedStep >= 0;
    if (!Number.isFinite(m.score) || !Number.isFinite(m.statistic)) {
      this.conclude({
        reason: 'crashed',
        error: {
          message: `the running objective overflowed at step ${this.steps} (increment ${u})`,
          phase: 'increment',
        },
        replaceChild: true,
      });
      return;
    }
    const index = this.steps;
    // The trace line is built from the engine's own numbers plus, for a full recording, the runner's
    // already-validated JSON text spliced in unchanged: re-serializing every observation cost as much
    // as parsing it (docs/performance.md: the engine's per-step work bounds the runner's throughput).
    // Number formatting is most of this line's cost: a fixed threshold is formatted once, a statistic
    // equal to the score (the fixed detector) reuses the score's text, and a scores-only line has its
    // numbers written straight into the writer's buffer (numberBytes.ts), no string made.
    if (m.threshold !== this.lastThreshold) {
      this.lastThreshold = m.threshold;
      this.lastThresholdText = jsonNumber(m.threshold);
      this.lineTails = [
        scoresLineTail(this.lastThresholdText, false, this.full),
        scoresLineTail(this.lastThresholdText, true, this.full),
      ];
    }
    let lookahead = '';
    if (this.pendingLookahead) {
      if (this.pendingLookahead.step === index) lookahead = `,"lookahead":${JSON.stringify(this.pendingLookahead)}`;
      this.pendingLookahead = null;
    }
    if (!rec && !lookahead) {
      // scores only: the line's bytes go straight into the writer's buffer
      addScoresLine(this.writer, index, u, m.score, m.statistic, this.lineTails[flag ? 1 : 0]);
    } else if (!rec) {
      this.writer.addLine(this.stepHead(index, u, flag) + lookahead + '}');
    } else if (
      !lookahead &&
      knownKeys(rec) &&
      addFullStepLine(this.writer, index, u, m.score, m.statistic, this.lineTails[flag ? 1 : 0], line)
    ) {
      // full recording: the engine's fields and the runner's text, straight into the writer's buffer
    } else {
      const head = this.stepHead(index, u, flag) + lookahead;
      const spliced = splicedTail(rec, line);
      if (spliced !== null) this.writer.addLine(head + ',' + spliced);
      else {
        const step: TraceStep = {
          type: 'step',
          step: index,
          increment: u,
          score: m.score,
          statistic: m.statistic,
          threshold: m.threshold,
          flag,
        };
        step.action = rec.action;
        step.reward = rec.reward;
        step.observation = rec.observation;
        if (rec.info !== undefined) step.info = rec.info;
        step.terminated = rec.terminated;
        step.truncated = rec.truncated;
        if (rec.scene !== undefined) step.scene = rec.scene;
        if (rec.fallback) step.fallback = true;
        if (rec.sceneProblem) step.sceneProblem = rec.sceneProblem;
        this.writer.add(step);
      }
    }
    if (this.steps === this.incs.length) {
      const grown = new Float64Array(this.incs.length * 2);
      grown.set(this.incs);
      this.incs = grown;
    }
    this.incs[this.steps++] = u;
    if (this.evScores.length === 0) this.evFrom = index;
    this.evScores.push(m.score);
    this.evThresholds.push(m.threshold);
    if (flag) {
      this.flushEvents();
      this.s.emit({ type: 'flag', episodeId: this.s.episodeId, step: index, score: m.score, threshold: m.threshold });
      if (this.stopAtFlag) this.conclude({ reason: 'flagged_stop', replaceChild: false });
    }
  }

  private stepHead(index: number, u: number, flag: boolean): string {
    const m = this.s.monitor;
    const score = String(m.score);
    const statistic = m.statistic === m.score ? score : String(m.statistic);
    return `{"type":"step","step":${index},"increment":${u},"score":${score},"statistic":${statistic},"threshold":${this.lastThresholdText},"flag":${flag}`;
  }

  private onPrediction(rec: PredictionRecord): void {
    if (rec.episodeId !== this.s.episodeId)
      return this.breach(
        `prediction record for episode ${JSON.stringify(rec.episodeId)} during ${this.s.episodeId}`,
        rec,
      );
    const g = this.s.guard;
    if (!g) return this.breach('prediction record in an episode run without the guard', rec);
    if (!this.gotReset) return this.breach('prediction record before the reset record', rec);
    if (this.outcome) return this.breach(`prediction before step ${rec.step} after the episode ended`, rec);
    if (rec.step !== this.steps)
      return this.breach(`prediction before step ${rec.step}; expected step ${this.steps}`, rec);
    if (this.fired)
      return this.breach(
        `prediction before step ${rec.step} after the guard already fired at step ${this.fired.step}`,
        rec,
      );
    if (rec.increments.length > g.horizon)
      return this.breach(`prediction of ${rec.increments.length} steps; the horizon is ${g.horizon}`, rec);
    // The engine is the authority: the predicted increments go through its own monitor.
    const checked = verifyPrediction(this.s.monitor, rec, 0);
    if (!checked.ok) return this.breach(checked.message, rec);
    const p = predictionOf(
      g,
      rec.step,
      rec.replay,
      rec.fired,
      rec.increments,
      checked.path,
      rec.truncated === true,
      this.s.monitor.score,
    );
    if (!rec.fired) {
      this.pendingLookahead = p;
      return;
    }
    this.fired = p;
    this.flushEvents();
    this.s.emit({ type: 'prediction', episodeId: this.s.episodeId, prediction: p });
  }

  /** Emits the batched `steps` event (called by the supervisor's ticker, ~20/s, and at the end). */
  flushEvents(): void {
    // the trace holds at least what the events announced (writeSoon() may hold up to 20 ms of lines)
    if (!this.finished) this.writer.flush();
    if (!this.evScores.length) return;
    this.s.emit({
      type: 'steps',
      episodeId: this.s.episodeId,
      from: this.evFrom,
      scores: this.evScores,
      thresholds: this.evThresholds,
    });
    this.evScores = [];
    this.evThresholds = [];
  }

  /** Writes the one episode_end record and closes the trace. */
  finish(): EpisodeResult {
    if (this.finished) return this.finished;
    const o = this.outcome ?? {
      reason: 'crashed' as EndReason,
      detail: { message: 'episode ended without an outcome' },
      replaceChild: true,
    };
    this.flushEvents();
    const m = this.s.monitor;
    const flaggedStep = m.flaggedStep >= 0 && m.flaggedStep < this.steps ? m.flaggedStep : null;
    const end: TraceEnd = {
      type: 'episode_end',
      reason: o.reason,
      steps: this.steps,
      score: this.steps ? m.score : 0,
      flaggedStep,
      durationMs: Date.now() - this.t0,
    };
    if (o.error) end.error = o.error;
    if (o.detail) end.detail = o.detail;
    if (this.fired) end.prediction = this.fired;
    if (this.guardNotice) end.guard = this.guardNotice;
    if (this.s.harmKey) end.harmSteps = this.harmSteps;
    if (this.sceneProblem) end.sceneProblem = this.sceneProblem;
    const trained = this.s.header.calibration?.longestEpisode;
    if (trained !== undefined && this.steps > trained)
      end.beyondTraining = { fromStep: trained, steps: this.steps - trained };
    this.writer.add(end);
    this.writer.close();
    this.finished = {
      episodeId: this.s.episodeId,
      seed: this.s.seed,
      steps: this.steps,
      finalScore: end.score,
      flaggedStep,
      reason: o.reason,
      trace: this.s.trace,
      increments: this.incs.slice(0, this.steps),
      ...(o.error ? { error: o.error } : {}),
      ...(this.fired ? { prediction: this.fired } : {}),
      ...(this.guardNotice ? { guard: this.guardNotice } : {}),
      ...(this.guardExtreme !== undefined ? { guardExtreme: this.guardExtreme } : {}),
      ...(this.s.harmKey ? { harmSteps: this.harmSteps } : {}),
    };
    this.s.emit({
      type: 'episode_end',
      runId: this.s.runId,
      episodeId: this.s.episodeId,
      seed: this.s.seed,
      steps: this.steps,
      finalScore: end.score,
      flaggedStep,
      reason: o.reason,
      trace: this.s.trace,
      ...(o.error ? { error: o.error } : {}),
      ...(this.fired ? { prediction: this.fired } : {}),
    });
    return this.finished;
  }
}

const STEP_KEYS = new Set([
  't',
  'step',
  'increment',
  'action',
  'reward',
  'observation',
  'info',
  'terminated',
  'truncated',
  'scene',
  'fallback',
  'sceneProblem',
]);

/** JSON for a number the way JSON.stringify writes it (non-finite -> null). */
function jsonNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

/** The record has only the keys a step record may have: nothing in the runner's text can shadow a
 *  field the engine writes, so that text may be spliced into the trace line. */
function knownKeys(rec: StepRecord): boolean {
  for (const k in rec) if (!STEP_KEYS.has(k)) return false;
  return true;
}

/** The runner's step line after its `{"t":"step","step":N,"increment":U,` head — the rest of the
 *  record, ending in `}` — when the line has exactly that head and only known keys; null otherwise,
 *  and the record is re-serialized instead. (The usual path writes the line byte by byte:
 *  fullStepLine.ts; this one serves a line with a look-ahead.) */
function splicedTail(rec: StepRecord, line: string): string | null {
  const head = `{"t":"step","step":${rec.step},"increment":${rec.increment},`;
  if (!line.startsWith(head) || !knownKeys(rec)) return null;
  return line.slice(head.length);
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** A UserError from the wire, cut to the fields and sizes the trace keeps. */
function sanitizeError(e: UserError): UserError {
  const out: UserError = { message: String(e.message).slice(0, 4000) };
  if (typeof e.stack === 'string') out.stack = e.stack.slice(0, 16_000);
  if (typeof e.file === 'string') out.file = e.file.slice(0, 1000);
  if (Number.isSafeInteger(e.line)) out.line = e.line;
  if (Number.isSafeInteger(e.column)) out.column = e.column;
  if (typeof e.phase === 'string') out.phase = e.phase.slice(0, 40);
  return out;
}
