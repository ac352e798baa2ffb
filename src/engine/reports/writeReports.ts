// `run --junit FILE --sarif FILE`: the CI reports, written after the run from its results and
// traces. Both are whole-file atomic writes, so a CI step that uploads them never reads half a file.
import fs from 'node:fs';
import path from 'node:path';
import type { CalibrationFile } from '../../core/calibrationTypes';
import { describeDetector } from '../../core/detectorConfig';
import type { LoadedScenario } from '../../core/scenario';
import { writeFileAtomic } from '../atomicWrite';
import { detectorOf, type Flags } from '../cliOptions';
import type { CliOutput } from '../cliOutput';
import type { AgentChoice, RunResult } from '../types';
import { UsageError } from '../usageError';
import { episodeFacts } from './episodeFacts';
import { junitXml } from './junit';
import { sarifLog } from './sarif';

export interface ReportTargets {
  junit: string | null;
  sarif: string | null;
}

/** Checked before the run starts, so a typo costs nothing. */
export function reportTargetsOf(flags: Flags, cwd = process.cwd()): ReportTargets {
  const target = (flag: 'junit' | 'sarif'): string | null => {
    const v = flags[flag];
    if (v === undefined) return null;
    if (v.trim() === '')
      throw new UsageError(
        `--${flag}: expected a file path for the ${flag === 'junit' ? 'JUnit XML' : 'SARIF'} report`,
      );
    const file = path.resolve(cwd, v);
    if (fs.existsSync(file) && fs.statSync(file).isDirectory())
      throw new UsageError(`--${flag} ${v}: is a folder; expected a file path`);
    return file;
  };
  const t = { junit: target('junit'), sarif: target('sarif') };
  if (t.junit && t.junit === t.sarif) throw new UsageError('--junit and --sarif name the same file');
  return t;
}

export interface ReportRun {
  scenario: LoadedScenario;
  agent: AgentChoice;
  result: RunResult;
  calibration: CalibrationFile | null;
  calibrationFile: string | null;
  flags: Flags;
  startedAt: Date;
  exitCode: number;
}

export function writeReports(targets: ReportTargets, run: ReportRun, out: CliOutput, cwd = process.cwd()): void {
  if (!targets.junit && !targets.sarif) return;
  const episodes = run.result.episodes.map(episodeFacts);
  const d = detectorOf(run.flags, run.scenario);
  const detector =
    describeDetector(d) + (run.calibration && d.kind !== 'fixed' ? `, alpha ${run.calibration.alpha}` : '');
  const showPath = (f: string) => {
    const rel = path.relative(cwd, f);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : f;
  };
  const common = {
    scenario: run.scenario.spec.name,
    scenarioFile: run.scenario.file,
    agent: run.agent.name,
    detector,
    calibrationFile: run.calibrationFile,
    episodes,
  };
  if (targets.junit) {
    writeFileAtomic(
      targets.junit,
      junitXml({ ...common, tracesDir: run.result.dir, startedAt: run.startedAt, showPath }),
    );
    out.line(`junit: ${showPath(targets.junit)}`);
  }
  if (targets.sarif) {
    const log = sarifLog({
      ...common,
      root: cwd,
      startedAt: run.startedAt,
      endedAt: new Date(),
      exitCode: run.exitCode,
      toolVersion: toolVersion(),
    });
    writeFileAtomic(targets.sarif, JSON.stringify(log, null, 2) + '\n');
    out.line(`sarif: ${showPath(targets.sarif)}`);
  }
}

function toolVersion(): string | undefined {
  // dist/cli.js sits next to package.json's folder; under tsx the source is three folders down.
  for (const rel of ['../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, rel), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'objective-monitor' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      /* try the next */
    }
  }
  return undefined;
}
