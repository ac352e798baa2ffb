// Where the score-gap bracket goes (webview/strokeBracket.ts), shared by the fork's gap and the margin
// at a step: beside the step's line on its right, on its left at the plot's right edge, its ends held
// inside the plot.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placeBracket } from '../../webview/strokeBracket';

const plot = { left: 40, right: 400, top: 10, bottom: 210 };

test('the bracket sits on the right of the step line, ticks pointing back to it', () => {
  assert.deepEqual(placeBracket(plot, 100, 50, 150, 9, 5), { x: 109.5, y0: 50, y1: 150, tick: -5, right: true });
});

test('at the plot right edge it moves to the left of the line, ticks pointing right', () => {
  // 9 px beside and 5 px of tick do not fit in the 10 px left of the line
  assert.deepEqual(placeBracket(plot, 390, 50, 150, 9, 5), { x: 381.5, y0: 50, y1: 150, tick: 5, right: false });
  // exactly fitting stays right
  assert.equal(placeBracket(plot, 386, 50, 150, 9, 5).right, true);
});

test('a value off the plot is bracketed up to its edge', () => {
  const b = placeBracket(plot, 100, -500, 1e9, 7, 4);
  assert.deepEqual([b.y0, b.y1], [plot.top, plot.bottom]);
});
