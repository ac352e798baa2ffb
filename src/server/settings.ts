// Typed view over the client's `objectiveMonitor` settings. A user's settings.json may hold any
// JSON; each field is coerced on its own so one bad value does not discard the others.

import type { DetectorConfig } from '../core/detectorConfig';
import { DEFAULT_TRACE_SERVER_SETTINGS, type TraceServerSettings } from '../shared/lspProtocol';

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
    case 'recorded': return null;
    case 'envelope': return { kind: 'envelope' };
    case 'window': return { kind: 'window', window: s.detector.window };
    case 'cusum': return { kind: 'cusum', k: s.detector.cusumK };
    case 'fixed': return { kind: 'fixed', threshold: s.detector.fixedThreshold };
  }
}

export function sameDetector(a: DetectorConfig, b: DetectorConfig): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'envelope': return true;
    case 'window': return a.window === (b as typeof a).window;
    case 'cusum': return a.k === (b as typeof a).k;
    case 'fixed': return a.threshold === (b as typeof a).threshold;
  }
}

export function describeDetector(d: DetectorConfig): string {
  switch (d.kind) {
    case 'envelope': return 'envelope';
    case 'window': return `window w=${d.window}`;
    case 'cusum': return `cusum k=${d.k}`;
    case 'fixed': return `fixed ${d.threshold}`;
  }
}

/** A stable key for caches: analyses depend on the settings that change the flag. */
export function settingsKey(s: TraceServerSettings): string {
  const d = s.detector;
  return `${d.kind}|${d.window}|${d.cusumK}|${d.alpha ?? ''}|${d.fixedThreshold}`;
}
