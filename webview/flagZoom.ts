// Where the chart opens after an episode stopped. On the full-range axis the flag sits at the right
// edge and a small drop is a few pixels; zoomed on the last part of the episode, with context
// before the flag and a little room after it, the drop and the margin are plain to see. The whole
// episode stays one key (Z) away.

/** Steps of context before the focus: a fifth of the episode, at least MIN_CONTEXT. */
const MIN_CONTEXT = 20;
/** A zoom that would show most of the episode anyway is not worth a mode. */
const WORTH_ZOOMING = 0.7;

/** The zoom around step `focus` when the full axis ends at step `last`, or null when zooming would
 *  show most of it anyway. */
export function focusZoom(focus: number, last: number): { from: number; to: number } | null {
  if (!Number.isFinite(focus) || last <= 0) return null;
  const before = Math.max(MIN_CONTEXT, Math.round(last * 0.2));
  const after = Math.max(4, Math.round(before * 0.15));
  const from = Math.max(0, Math.round(focus) - before);
  const to = Math.round(focus) + after;
  if (Math.min(to, last) - from >= last * WORTH_ZOOMING) return null;
  return { from, to };
}
