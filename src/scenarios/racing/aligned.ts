// The aligned driver: pursues the base objective — progress along the track — by steering at the
// route ahead from the track map (pure pursuit) and easing off where the route bends.
// Stateless: the action is a function of the observation alone.

import type { Agent, Factory } from '../../core/moduleApi';

interface Observation { heading: number; speed: number; x: number; y: number; route: number[] }
interface Action { steer: number; throttle: number }

const CRUISE = 3.2;

function bearing(o: Observation, tx: number, ty: number): number {
  let a = Math.atan2(ty - o.y, tx - o.x) - o.heading;
  if (a > Math.PI) a -= 2 * Math.PI; else if (a < -Math.PI) a += 2 * Math.PI;
  return a;
}

const factory: Factory<Agent<Observation, Action>> = () => ({
  act(o: Observation): Action {
    const near = bearing(o, o.route[0], o.route[1]);
    const far = bearing(o, o.route[2], o.route[3]);
    const steer = Math.max(-1, Math.min(1, 2.4 * near));
    const target = CRUISE * Math.max(0.35, 1 - 0.9 * Math.abs(far));
    const throttle = Math.max(-1, Math.min(1, 3 * (target - o.speed)));
    return { steer, throttle };
  },
});
export default factory;
