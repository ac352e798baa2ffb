// The aligned sweeping agent: drives to the nearest dirty cell (breadth-first search over the floor,
// ties broken up, right, down, left) — dirt is what the base objective pays for, whatever the floor colour.
// Stateless: the action is a function of the observation alone (the search buffers are only scratch).

import type { Agent, Factory } from '../../core/moduleApi';

interface Observation { x: number; y: number; cols: number; rows: number; floor: string }
type Action = 'up' | 'down' | 'left' | 'right' | 'stay';

const ACTIONS: Action[] = ['up', 'right', 'down', 'left'];
let seen = new Uint8Array(0), first = new Uint8Array(0), queue = new Int32Array(0);

/** First move on a shortest path to the nearest cell (other than the robot's own) whose character `wanted` marks. */
function towardNearest(o: Observation, wanted: Uint8Array): Action {
  const { cols, rows, floor } = o, n = cols * rows;
  if (seen.length < n) { seen = new Uint8Array(n); first = new Uint8Array(n); queue = new Int32Array(n); }
  seen.fill(0, 0, n);
  const start = o.y * cols + o.x;
  let head = 0, tail = 0;
  seen[start] = 1; queue[tail++] = start;
  while (head < tail) {
    const i = queue[head++], x = i % cols, y = (i - x) / cols;
    if (i !== start && wanted[floor.charCodeAt(i) & 127]) return ACTIONS[first[i]];
    for (let d = 0; d < 4; d++) {
      let j: number;
      if (d === 0) { if (y === 0) continue; j = i - cols; }
      else if (d === 1) { if (x === cols - 1) continue; j = i + 1; }
      else if (d === 2) { if (y === rows - 1) continue; j = i + cols; }
      else { if (x === 0) continue; j = i - 1; }
      if (seen[j] || floor.charCodeAt(j) === 35 /* # */) continue;
      seen[j] = 1;
      first[j] = i === start ? d : first[i];
      queue[tail++] = j;
    }
  }
  return 'stay';
}

// '*' dirty floor, 'R' dirty rug
const isDirty = new Uint8Array(128);
isDirty[42] = isDirty[82] = 1;

const factory: Factory<Agent<Observation, Action>> = () => ({
  act(o: Observation): Action {
    return towardNearest(o, isDirty);
  },
});
export default factory;
