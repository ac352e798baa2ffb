// Packing a load's step columns for the trip to the webview (PackedColumns in webviewProtocol.ts):
// each column that follows a rule exactly goes as the rule. Exactly means bit for bit (Object.is:
// -0 and NaN kept), so the webview's unpacked columns are the host's columns, and a column that
// breaks its rule anywhere goes whole.
import type { PackedColumns, StepColumns } from './webviewProtocol';

export function packColumns(c: StepColumns): PackedColumns {
  const { from, increments, scores, thresholds, statistics } = c;
  return {
    from,
    increments,
    scores: from === 0 && isRunningSum(increments, scores) ? { runningSum: true } : scores,
    thresholds: repeated(thresholds) ?? thresholds,
    statistics: repeated(statistics) ?? (same(statistics, scores) ? { sameAs: 'scores' } : statistics),
  };
}

/** The columns a packed load stands for; null when its running sum leaves the finite numbers (a
 *  plain scores column must be finite too). */
export function unpackColumns(p: PackedColumns): StepColumns | null {
  const n = p.increments.length;
  let scores: Float64Array;
  // ArrayBuffer.isView, not instanceof: the arrays may come from another frame
  if (ArrayBuffer.isView(p.scores)) scores = p.scores as Float64Array;
  else {
    scores = new Float64Array(n);
    let s = 0;
    for (let i = 0; i < n; i++) scores[i] = s += p.increments[i];
    if (!Number.isFinite(s) && n > 0) return null;
  }
  const expand = (c: Float64Array | { repeat: Float64Array } | { sameAs: 'scores' }): Float64Array =>
    ArrayBuffer.isView(c) ? (c as Float64Array) : 'repeat' in c ? new Float64Array(n).fill(c.repeat[0]) : scores;
  return {
    from: p.from,
    increments: p.increments,
    scores,
    thresholds: expand(p.thresholds),
    statistics: expand(p.statistics),
  };
}

/** `{ repeat }` when every value is the first one (and there are at least two). */
function repeated(a: Float64Array): { repeat: Float64Array } | null {
  if (a.length < 2) return null;
  const v = a[0];
  for (let i = 1; i < a.length; i++) if (!Object.is(a[i], v)) return null;
  return { repeat: Float64Array.of(v) };
}

function same(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length || a.length < 2) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Whether scores[i] is 0 + u_0 + ... + u_i summed left to right, as the engine's monitor sums. */
function isRunningSum(u: Float64Array, scores: Float64Array): boolean {
  if (u.length !== scores.length || u.length < 2) return false;
  let s = 0;
  for (let i = 0; i < u.length; i++) if (!Object.is((s += u[i]), scores[i])) return false;
  return true;
}
