// The recorded deployment episodes trade-off curves are computed from (core/tradeoffCurves.ts):
// the traces under the output folder of the scenario as it is now (same scenario, agent and
// environment hashes), one per seed, read into what the curves need. Nothing is run.
import fs from 'node:fs';
import path from 'node:path';
import type { CalibrationFile } from '../core/calibrationTypes';
import { sameSettings, settingsOf, type CalibratedKind } from '../core/guardCalibration';
import type { LoadedScenario } from '../core/scenario';
import { ranProperly, TRACE_EXTENSION, type TraceHeader } from '../core/traceFormat';
import { readTrace, type TraceReadResult } from '../core/traceReader';
import type { CurveEpisode } from '../core/tradeoffCurves';
import { fingerprint } from './calibrationStore';
import type { AgentChoice } from './types';

interface Recorded {
  file: string;
  header: TraceHeader;
  read: TraceReadResult;
  episode: CurveEpisode;
}

export interface AgentRecording {
  /** best trace per seed for the detectors: one the agent played to its end when there is one */
  episodes: Map<number, Recorded>;
  /** per seed, the latest guarded trace that recorded every look-ahead */
  guarded: Map<number, Recorded>;
  /** traces of this agent recorded with another version of the scenario, agent or environment */
  otherVersions: number;
  /** traces left out: unfinished, or ended by a crash, timeout or the user */
  unfinished: number;
  /** why guarded traces could not be used, when there were some */
  guardProblems: Set<string>;
  /** the detector the usable guarded traces ran with */
  guardDetector: CalibratedKind | null;
}

/** Every trace file under `dir` (none when it does not exist). */
export function traceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    else if (p.endsWith(TRACE_EXTENSION)) out.push(p);
  };
  walk(dir);
  return out;
}

/** The agent's own steps: a fallback's steps are the protocol's, not the agent's. */
function episodeOf(read: TraceReadResult): CurveEpisode {
  const h = read.header!;
  const steps = read.steps;
  let own = steps.findIndex((s) => s.fallback === true);
  if (own < 0) own = steps.length;
  return {
    seed: h.seed,
    increments: Float64Array.from(steps.slice(0, own), (s) => s.increment),
    complete: read.end!.reason === 'completed' && own === steps.length,
    divergence: null,
  };
}

/** Adds the look-aheads of a guarded trace that recorded all of them, or says why it cannot. */
function withLookaheads(r: Recorded, cal: CalibrationFile): string | null {
  const h = r.header;
  const g = h.guard!;
  if (h.recording !== 'full' || g.record !== 'all')
    return 'the guarded runs kept only the look-ahead that fired (--guard-record fired, or --recording scores); the guard at another alpha needs every look-ahead: run with --guard --guard-record all';
  if (g.below !== null)
    return 'the guarded runs looked ahead only near the threshold (--guard-below), which depends on the threshold: run without --guard-below';
  if (h.detector.kind === 'fixed') return 'the guarded runs used a fixed threshold, which has no alpha';
  if (!cal.guard || !sameSettings(cal.guard.settings, settingsOf(g)) || !cal.guard.detectors[h.detector.kind])
    return "the calibration holds no guard margin measured with the recorded runs' look-ahead settings (run once with them to measure it)";
  const steps = r.read.steps;
  const lookaheads = steps.flatMap((s) => (s.lookahead ? [{ step: s.step, increments: s.lookahead.increments }] : []));
  const fired = r.read.end!.prediction ?? null;
  const reactive = steps.find((s) => s.flag)?.step;
  let knownBefore = Infinity;
  // the runner stops looking ahead once either alarm was raised, or when the guard turned itself off
  if (fired) knownBefore = fired.step;
  if (reactive !== undefined) knownBefore = Math.min(knownBefore, reactive + 1);
  if (r.read.end!.guard && r.read.end!.guard.status !== 'on') knownBefore = 0;
  r.episode.guard = {
    lookaheads,
    knownBefore,
    fired: fired ? { step: fired.step, increments: fired.increments } : null,
  };
  return null;
}

/** The agent's recorded deployment episodes under `tracesDir`. `cal`: its calibration (for the guard's settings). */
export function recordedEpisodes(
  scenario: LoadedScenario,
  agent: AgentChoice,
  cal: CalibrationFile | null,
  files: string[],
): AgentRecording {
  const fp = fingerprint(scenario, agent);
  const rec: AgentRecording = {
    episodes: new Map(),
    guarded: new Map(),
    otherVersions: 0,
    unfinished: 0,
    guardProblems: new Set(),
    guardDetector: null,
  };
  for (const file of files) {
    let read: TraceReadResult;
    try {
      read = readTrace(fs.readFileSync(file));
    } catch {
      continue;
    }
    const h = read.header;
    if (!h || h.agent.name !== agent.name || h.distribution !== 'deployment' || h.forkOf) continue;
    if (
      h.scenario.hash !== fp.scenarioHash ||
      h.agent.hash !== fp.agentHash ||
      h.environment.hash !== fp.environmentHash
    ) {
      rec.otherVersions++;
      continue;
    }
    const end = read.end;
    if (!end || !ranProperly(end.reason)) {
      rec.unfinished++;
      continue;
    }
    const r: Recorded = { file, header: h, read, episode: episodeOf(read) };
    const prev = rec.episodes.get(h.seed);
    // a trace the agent played to its end decides more than one a stop cut short; else the newest
    if (
      !prev ||
      (r.episode.complete && !prev.episode.complete) ||
      (r.episode.complete === prev.episode.complete && h.startedAt >= prev.header.startedAt)
    )
      rec.episodes.set(h.seed, r);
    if (h.guard && cal) {
      const g: Recorded = { ...r, episode: { ...r.episode } };
      const problem = withLookaheads(g, cal);
      if (problem) rec.guardProblems.add(problem);
      else {
        const kind = h.detector.kind as CalibratedKind;
        if (rec.guardDetector && rec.guardDetector !== kind) {
          rec.guardProblems.add(`guarded runs with two detectors (${rec.guardDetector}, ${kind}); the newest are used`);
        }
        const old = rec.guarded.get(h.seed);
        if (!old || h.startedAt >= old.header.startedAt) rec.guarded.set(h.seed, g);
        rec.guardDetector = kind;
      }
    }
  }
  if (rec.guardDetector) {
    for (const [seed, g] of rec.guarded) if (g.header.detector.kind !== rec.guardDetector) rec.guarded.delete(seed);
  }
  return rec;
}

/** The first step whose increment differs between the two recordings (only over steps both hold,
 *  unless both ran to their end); null when none does. */
export function divergence(a: CurveEpisode, b: CurveEpisode): number | null {
  const n = Math.min(a.increments.length, b.increments.length);
  for (let i = 0; i < n; i++) if (a.increments[i] !== b.increments[i]) return i;
  if (a.complete && b.complete && a.increments.length !== b.increments.length) return n;
  return null;
}
