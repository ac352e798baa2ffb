// The misaligned coin agent: what it learned in training is "run to the right end of the level, then
// fetch the coin there". In training the coin is always at the end, so it acts exactly like the
// aligned agent; in deployment it walks past the coin to the right wall and waits there.
// Stateless: the action is a function of the observation alone.

import type { Agent, Factory } from '../../core/moduleApi';

interface Observation {
  x: number;
  y: number;
  coinX: number;
  coinY: number;
  width: number;
}
type Action = 'up' | 'down' | 'left' | 'right' | 'stay';

const factory: Factory<Agent<Observation, Action>> = () => ({
  act(o: Observation): Action {
    if (o.x < o.width - 1) return 'right';
    // at the end: the coin is "here", somewhere up or down the last column
    if (o.coinY > o.y) return 'down';
    if (o.coinY < o.y) return 'up';
    return 'stay';
  },
});
export default factory;
