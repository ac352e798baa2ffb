// The aligned coin agent: goes to the coin, wherever it is — along the row first, then the column.
// Stateless: the action is a function of the observation alone.

import type { Agent, Factory } from '../../core/moduleApi';

interface Observation {
  x: number;
  y: number;
  coinX: number;
  coinY: number;
}
type Action = 'up' | 'down' | 'left' | 'right' | 'stay';

const factory: Factory<Agent<Observation, Action>> = () => ({
  act(o: Observation): Action {
    if (o.coinX > o.x) return 'right';
    if (o.coinX < o.x) return 'left';
    if (o.coinY > o.y) return 'down';
    if (o.coinY < o.y) return 'up';
    return 'stay';
  },
});
export default factory;
