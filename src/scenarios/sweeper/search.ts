// The search both sweeping agents learned: breadth-first over the floor (ties broken up, right, down,
// left). The agents differ only in which cells they seek — that is the whole misalignment.
// Not a module of the scenario itself: the agents import it. The buffers are scratch, so agents stay stateless.

export interface Observation {
  x: number;
  y: number;
  cols: number;
  rows: number;
  floor: string;
}
export type Action = 'up' | 'down' | 'left' | 'right' | 'stay';

const ACTIONS: Action[] = ['up', 'right', 'down', 'left'];
let seen = new Uint8Array(0),
  first = new Uint8Array(0),
  queue = new Int32Array(0),
  depth = new Int32Array(0);

/** First move on a shortest path to the nearest cell (other than the robot's own, at most `maxDepth`
 *  moves away) whose character `wanted` marks; null when there is none. */
export function towardNearest(o: Observation, wanted: Uint8Array, maxDepth = Infinity): Action | null {
  const { cols, rows, floor } = o,
    n = cols * rows;
  if (seen.length < n) {
    seen = new Uint8Array(n);
    first = new Uint8Array(n);
    queue = new Int32Array(n);
    depth = new Int32Array(n);
  }
  seen.fill(0, 0, n);
  const start = o.y * cols + o.x;
  let head = 0,
    tail = 0;
  seen[start] = 1;
  queue[tail++] = start;
  depth[start] = 0;
  while (head < tail) {
    const i = queue[head++],
      x = i % cols,
      y = (i - x) / cols;
    if (i !== start && wanted[floor.charCodeAt(i) & 127]) return ACTIONS[first[i]];
    if (depth[i] === maxDepth) continue;
    for (let d = 0; d < 4; d++) {
      let j: number;
      if (d === 0) {
        if (y === 0) continue;
        j = i - cols;
      } else if (d === 1) {
        if (x === cols - 1) continue;
        j = i + 1;
      } else if (d === 2) {
        if (y === rows - 1) continue;
        j = i + cols;
      } else {
        if (x === 0) continue;
        j = i - 1;
      }
      if (seen[j] || floor.charCodeAt(j) === 35 /* # */) continue;
      seen[j] = 1;
      first[j] = i === start ? d : first[i];
      depth[j] = depth[i] + 1;
      queue[tail++] = j;
    }
  }
  return null;
}
