// A typed view over the objectiveMonitor.* settings. It knows which changes re-flag recorded
// traces (detector settings) so ctx can react to exactly those.
import path from 'node:path';
import * as vscode from 'vscode';
import type { DetectorConfig } from '../core/detectorConfig';
import { DEFAULT_ALPHA } from '../core/detectorConfig';
import type { FlagSettings } from '../core/reflag';
import type { TraceServerSettings } from '../shared/lspProtocol';
import { coerceSettings, flagSettingsOf, requestedDetector } from '../shared/settings';

export const SECTION = 'objectiveMonitor';

const DETECTOR_KEYS = [
  'detector.kind',
  'detector.window',
  'detector.cusumK',
  'detector.fixedThreshold',
  'detector.alpha',
] as const;

export type Protocol = 'stop' | 'flag-only';

export interface LimitsConfig {
  stepTimeoutMs: number;
  episodeTimeoutMs: number;
  memoryLimitMb: number;
}

export interface GuardSettings {
  enabled: boolean | null;
  horizon: number | null;
  rollouts: number | null;
}

export class Config {
  private get cfg(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** The detector and trace settings, read by the same reader as the language server's
   *  (shared/settings.ts), so the views and the server's diagnostics never disagree. */
  get traceSettings(): TraceServerSettings {
    return coerceSettings({ detector: this.cfg.get('detector'), traces: this.cfg.get('traces') });
  }

  /** What re-flags recorded traces: under `recorded`, nothing does (the alpha included). */
  get flagSettings(): FlagSettings {
    return flagSettingsOf(this.traceSettings);
  }

  /** The detector the user chose, or null for `recorded`: runs use the scenario's detector and
   *  traces keep the flags they were recorded with. */
  get detector(): DetectorConfig | null {
    return requestedDetector(this.traceSettings);
  }

  /** The alpha of new calibrations (and of re-flags under a chosen detector). */
  get alpha(): number {
    return this.traceSettings.detector.alpha ?? DEFAULT_ALPHA;
  }

  /** null: the scenario's protocol applies */
  get protocol(): Protocol | null {
    if (!isSet(this.cfg.inspect('run.protocol'))) return null;
    return this.cfg.get<string>('run.protocol') === 'flag-only' ? 'flag-only' : 'stop';
  }

  get episodes(): number {
    return positiveInt(this.cfg.get('run.episodes'), 10);
  }

  /** `guard.*`: the predictive guard. `enabled` null: the scenario's `guard.enabled` applies;
   *  horizon and rollouts null: the scenario's (else the engine's) defaults. */
  get guard(): GuardSettings {
    const set = (k: string) => isSet(this.cfg.inspect(k));
    return {
      enabled: set('guard.enabled') ? this.cfg.get<boolean>('guard.enabled') === true : null,
      horizon: set('guard.horizon') ? positiveInt(this.cfg.get('guard.horizon'), 10) : null,
      rollouts: set('guard.rollouts') ? positiveInt(this.cfg.get('guard.rollouts'), 1) : null,
    };
  }

  /** `run.calibrationFile`: a reference calibration for every run (absolute path), or null */
  get calibrationFile(): string | null {
    const v = this.cfg.get<string>('run.calibrationFile', '').trim();
    if (!v) return null;
    if (path.isAbsolute(v)) return v;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return folder ? path.join(folder, v) : null;
  }

  get limits(): LimitsConfig {
    return {
      stepTimeoutMs: positiveInt(this.cfg.get('limits.stepTimeoutMs'), 5000),
      episodeTimeoutMs: positiveInt(this.cfg.get('limits.episodeTimeoutMs'), 300_000),
      memoryLimitMb: positiveInt(this.cfg.get('limits.memoryLimitMb'), 2048),
    };
  }

  /** Machine-scoped: a workspace cannot choose the executable (docs/reliability.md, Trust). */
  get nodePath(): string {
    return machineValue(this.cfg.inspect<string>('runtime.nodePath'));
  }

  get pythonInterpreter(): string {
    return machineValue(this.cfg.inspect<string>('python.interpreter'));
  }

  get inlayHints(): boolean {
    return this.traceSettings.traces.inlayHints;
  }

  static affectsReflag(e: vscode.ConfigurationChangeEvent): boolean {
    return DETECTOR_KEYS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
  }
}

function isSet<T>(i: { globalValue?: T; workspaceValue?: T; workspaceFolderValue?: T } | undefined): boolean {
  return !!i && (i.globalValue !== undefined || i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined);
}

/** Only the user (machine/global) value counts, whatever a workspace file says. */
function machineValue(i: { globalValue?: string } | undefined): string {
  const v = i?.globalValue;
  return typeof v === 'string' ? v.trim() : '';
}

function positiveInt(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : dflt;
}
