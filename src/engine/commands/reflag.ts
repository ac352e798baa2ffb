// `objective-monitor reflag <trace or run folder>... [--detector K] [--alpha A] [--json]`:
// recompute the flags of recorded traces under other detector settings, from their calibration
// files, without running anything. Exit 1 when a trace is flagged under the new settings.
import fs from 'node:fs';
import path from 'node:path';
import { readTrace } from '../../core/traceReader';
import { reflag } from '../../core/reflag';
import type { DetectorConfig } from '../../core/detectorConfig';
import { TRACE_EXTENSION } from '../../core/traceFormat';
import type { LoadedScenario } from '../../core/scenario';
import { readCalibration } from '../calibrationStore';
import type { CliOutput } from '../cliOutput';
import { detectorOf, type Flags } from '../cliOptions';
import { UsageError } from '../usageError';

function traceFiles(args: string[]): string[] {
  const files: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    else if (p.endsWith(TRACE_EXTENSION)) files.push(p);
  };
  for (const a of args) {
    const p = path.resolve(a);
    if (!fs.existsSync(p)) throw new UsageError(`${a}: no such trace file or folder`);
    walk(p);
  }
  if (!files.length) throw new UsageError(`no ${TRACE_EXTENSION} files in ${args.join(', ')}`);
  return files;
}

export async function reflagCommand(args: string[], flags: Flags, out: CliOutput): Promise<number> {
  if (!args.length) throw new UsageError('reflag needs trace files or run folders: objective-monitor reflag <trace|folder>...');
  const alpha = flags.alpha === undefined ? undefined : Number(flags.alpha);
  if (alpha !== undefined && !(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha ${flags.alpha}: expected a number between 0 and 1`);
  const rows: { trace: string; steps: number; recordedFlaggedStep: number | null; flaggedStep: number | null; detector: DetectorConfig; error?: string }[] = [];
  for (const file of traceFiles(args)) {
    const t = readTrace(fs.readFileSync(file));
    if (!t.header) throw new UsageError(`${file}:1: not a trace (no header record)`);
    // Without --detector the trace's own detector is kept (useful with --alpha).
    const pseudo = { spec: { detector: t.header.detector } } as unknown as LoadedScenario;
    const detector = detectorOf(flags, pseudo);
    const recordedFlaggedStep = t.steps.find((s) => s.flag)?.step ?? null;
    const row = { trace: file, steps: t.steps.length, recordedFlaggedStep, flaggedStep: null as number | null, detector };
    let cal = null;
    if (detector.kind !== 'fixed') {
      const calFile = t.header.calibration?.file;
      if (!calFile) { rows.push({ ...row, error: 'the trace names no calibration file (recorded with a fixed threshold)' }); continue; }
      cal = readCalibration(calFile);
      if (!cal) { rows.push({ ...row, error: `its calibration file ${calFile} no longer exists` }); continue; }
    }
    try {
      row.flaggedStep = reflag(t.steps.map((s) => s.increment), detector, cal, alpha).flaggedStep;
      rows.push(row);
    } catch (e) {
      rows.push({ ...row, error: (e as Error).message });
    }
  }
  const failed = rows.filter((r) => r.error);
  if (out.mode === 'json') out.json({ traces: rows });
  else if (out.mode === 'human') {
    for (const r of rows) {
      const was = r.recordedFlaggedStep === null ? 'not flagged' : `step ${r.recordedFlaggedStep}`;
      const now = r.error ? `cannot re-flag: ${r.error}` : r.flaggedStep === null ? 'not flagged' : `step ${r.flaggedStep}`;
      out.line(`${path.relative(process.cwd(), r.trace) || r.trace}: recorded ${was} -> ${r.detector.kind}${alpha ? ` alpha ${alpha}` : ''}: ${now}`);
    }
    out.line(`${rows.filter((r) => r.flaggedStep !== null).length} of ${rows.length} traces flagged under the new settings`);
  }
  if (failed.length) return 2;
  return rows.some((r) => r.flaggedStep !== null) ? 1 : 0;
}
