// A bracket beside a step's vertical line, spanning two values on the chart: the fork's gap to its
// parent (forkMarks) and the margin from the score to the threshold (scoreChart) are drawn with it,
// so both read the same way.

/** The plot's box in canvas pixels. */
export interface PlotBox {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Where a bracket goes: its vertical stroke at x, from y0 to y1, ticks of `tick` px (signed, pointing
 *  back to the step's line) at both ends. */
export interface BracketPlace {
  x: number;
  y0: number;
  y1: number;
  tick: number;
  /** on the step line's right (false: on its left, at the plot's right edge) */
  right: boolean;
}

/** The bracket `offset` px beside the line at `px`, from y0 to y1 held inside the plot (a value off the
 *  plot is bracketed up to its edge): on the line's right, or on its left where the right side would
 *  leave the plot. The stroke sits on a half pixel so that it stays sharp. */
export function placeBracket(
  a: PlotBox,
  px: number,
  y0: number,
  y1: number,
  offset: number,
  tick: number,
): BracketPlace {
  const clampY = (v: number) => Math.min(Math.max(v, a.top), a.bottom);
  const right = px + offset + 5 <= a.right;
  return {
    x: Math.round(right ? px + offset : px - offset) + 0.5,
    y0: clampY(y0),
    y1: clampY(y1),
    tick: right ? -tick : tick,
    right,
  };
}

/** Strokes the bracket, solid, in `color`. */
export function strokeBracket(ctx: CanvasRenderingContext2D, b: BracketPlace, color: string, lineWidth: number): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = lineWidth;
  ctx.setLineDash([]);
  ctx.beginPath();
  ctx.moveTo(b.x + b.tick, b.y0);
  ctx.lineTo(b.x, b.y0);
  ctx.lineTo(b.x, b.y1);
  ctx.lineTo(b.x + b.tick, b.y1);
  ctx.stroke();
}
