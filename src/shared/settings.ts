// The one reader of the `objectiveMonitor` settings that decide flags, shared by the extension
// (its views) and the language server (its diagnostics): both pass the raw section and get the
// same answer. A user's settings.json may hold any JSON; each field is coerced on its own so one
// bad value does not discard the others.

import type { DetectorConfig } from '../core/detectorConfig';
import type { FlagSettings } from '../core/reflag';
import { DEFAULT_TRACE_SERVER_SETTINGS, type TraceServerSettings } from './lspProtocol';

const KINDS = ['recorded', 'envelope', 'window', 'cusum', 'fixed'] as const;

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function num(v: unknown, fallback: number, ok: (n: number) => boolean): number {
  return typeof v === 'number' && Number.isFinite(v) && ok(v) ? v : fallback;
}

/** Accepts the section object (`{ detector: {...}, traces: {...} }`) or flat dotted keys. */
export function coerceSettings(raw: unknown): TraceServerSettings {
  const d = DEFAULT_TRACE_SERVER_SETTINGS;
  const root = obj(raw);
  const det = { ...flatGroup(root, 'detector'), ...obj(root.detector) };
  const tr = { ...flatGroup(root, 'traces'), ...obj(root.traces) };
  const kind = KINDS.find((k) => k === det.kind) ?? d.detector.kind;
  const alphaRaw = det.alpha;
  return {
    detector: {
      kind,
      window: Math.round(num(det.window, d.detector.window, (n) => n >= 1 && n <= 1e6)),
      cusumK: num(det.cusumK, d.detector.cusumK, (n) => n >= 0),
      alpha: typeof alphaRaw === 'number' && alphaRaw > 0 && alphaRaw < 1 ? alphaRaw : null,
      fixedThreshold: num(det.fixedThreshold, d.detector.fixedThreshold, () => true),
    },
    traces: { inlayHints: typeof tr.inlayHints === 'boolean' ? tr.inlayHints : d.traces.inlayHints },
  };
}

// Some clients (Neovim's `settings` table, written by hand) send { "detector.kind": ... }.
function flatGroup(root: Record<string, unknown>, group: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(root)) if (k.startsWith(group + '.')) out[k.slice(group.length + 1)] = v;
  return out;
}

/** The detector the settings ask for, or null for "as recorded". */
export function requestedDetector(s: TraceServerSettings): DetectorConfig | null {
  switch (s.detector.kind) {
    case 'recorded':
      return null;
    case 'envelope':
      return { kind: 'envelope' };
    case 'window':
      return { kind: 'window', window: s.detector.window };
    case 'cusum':
      return { kind: 'cusum', k: s.detector.cusumK };
    case 'fixed':
      return { kind: 'fixed', threshold: s.detector.fixedThreshold };
  }
}

/** What core's flagRecordedTrace needs. Under `recorded` the alpha setting does not re-flag
 *  anything (it still sets the alpha of new calibrations). */
export function flagSettingsOf(s: TraceServerSettings): FlagSettings {
  const detector = requestedDetector(s);
  return { detector, alpha: detector ? s.detector.alpha : null };
}

/** A stable key for caches: analyses depend on the settings that change the flag. */
export function settingsKey(s: TraceServerSettings): string {
  const d = s.detector;
  return `${d.kind}|${d.window}|${d.cusumK}|${d.alpha ?? ''}|${d.fixedThreshold}`;
}
