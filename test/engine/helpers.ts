// Shared set-up for engine tests: a fixture scenario built in memory, a RunRequest with short limits,
// and trace reading through core's reader.
import fs from 'node:fs';
import path from 'node:path';
import type { DetectorConfig } from '../../src/core/detectorConfig';
import type { LoadedScenario, ProtocolSpec, ScenarioFile } from '../../src/core/scenario';
import { readTrace, type TraceReadResult } from '../../src/core/traceReader';
import type { Recording } from '../../src/core/traceFormat';
import type { EngineEvent } from '../../src/shared/engineEvents';
import type { Limits, RunRequest } from '../../src/engine/types';
import { tempDir } from '../tempDirs';

export const FIXTURES = path.resolve(__dirname, '../fixtures/engine');
export const fixture = (name: string) => path.join(FIXTURES, name);

export function scenario(spec: Partial<ScenarioFile> = {}): LoadedScenario {
  const full: ScenarioFile = {
    name: 'fixture',
    environment: { module: 'counterEnv', options: {} },
    agent: { module: 'goAgent' },
    objective: { module: 'doubleObjective' },
    maxSteps: 50,
    calibration: { seeds: { from: 0, count: 4 } },
    deployment: { seeds: { from: 100, count: 4 } },
    ...spec,
  };
  return {
    file: path.join(FIXTURES, 'fixture.scenario.json'),
    dir: FIXTURES,
    hash: 'f'.repeat(64),
    spec: full,
    builtin: false,
  };
}

/** A fresh folder for one test's files, removed when the test file's process exits (test/tempDirs.ts). */
export function tmpDir(): string {
  return tempDir('om-engine-test-');
}

export interface ReqOptions {
  spec?: Partial<ScenarioFile>;
  agent?: string;
  agentOptions?: Record<string, unknown>;
  seeds?: number[];
  recording?: Recording;
  protocol?: ProtocolSpec;
  detector?: DetectorConfig;
  limits?: Partial<Limits>;
  workers?: number;
  events?: EngineEvent[];
  signal?: AbortSignal;
}

export function request(o: ReqOptions = {}): RunRequest {
  const events = o.events;
  return {
    scenario: scenario(o.spec),
    agent: { name: o.agent ?? 'goAgent', module: fixture(o.agent ?? 'goAgent.ts'), options: o.agentOptions ?? {} },
    distribution: 'deployment',
    seeds: o.seeds ?? [1],
    recording: o.recording ?? 'full',
    protocol: o.protocol ?? 'stop',
    detector: o.detector ?? { kind: 'fixed', threshold: -1e9 },
    calibration: null,
    calibrationFile: null,
    tracesDir: tmpDir(),
    limits: { startupTimeoutMs: 10_000, stepTimeoutMs: 400, episodeTimeoutMs: 30_000, memoryLimitMb: 256, ...o.limits },
    workers: o.workers ?? 1,
    ...(events ? { onEvent: (e: EngineEvent) => events.push(e) } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
}

export function trace(file: string): TraceReadResult {
  return readTrace(fs.readFileSync(file));
}

/** A trace's lines without what differs between two runs of the same episode by nature: the
 *  header's run id, episode id and start time, and the end's duration. */
export function comparableTrace(file: string): string[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const header = JSON.parse(lines[0]);
  delete header.runId;
  delete header.episodeId;
  delete header.startedAt;
  const last = lines.map((l) => l.startsWith('{"type":"episode_end"')).lastIndexOf(true);
  const end = JSON.parse(lines[last]);
  delete end.durationMs;
  return [JSON.stringify(header), ...lines.slice(1, last), JSON.stringify(end), ...lines.slice(last + 1)];
}

/** Malformed (non-torn) lines and other corruption the reader found. */
export function problems(t: TraceReadResult): string[] {
  return t.problems.map((p) => `${p.kind} line ${p.line}: ${p.message}`);
}

export function stat(pid: number): string | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return null;
  }
}

/** Alive = exists and is not a zombie (PID 1 here does not reap). */
export function alive(pid: number): boolean {
  const s = stat(pid);
  return s !== null && s !== 'Z' && s !== 'X';
}

export async function waitFor(cond: () => boolean, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return cond();
}

export function rssMb(): number {
  return process.memoryUsage().rss / 1048576;
}
