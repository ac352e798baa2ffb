// The controller both racing agents learned: pure pursuit of a steering target, easing off where the
// route bends. The agents differ only in what they steer at — that is the whole misalignment.
// Not a module of the scenario itself: the agents import it.

export interface Observation {
  heading: number;
  speed: number;
  x: number;
  y: number;
  route: number[];
  paint: number[];
}
export interface Action {
  steer: number;
  throttle: number;
}

const CRUISE = 3.2;

function bearing(o: Observation, tx: number, ty: number): number {
  let a = Math.atan2(ty - o.y, tx - o.x) - o.heading;
  if (a > Math.PI) a -= 2 * Math.PI;
  else if (a < -Math.PI) a += 2 * Math.PI;
  return a;
}

/** Steer at (tx, ty); the speed comes from the route's bend ahead. */
export function drive(o: Observation, tx: number, ty: number): Action {
  const near = bearing(o, tx, ty);
  const far = bearing(o, o.route[2], o.route[3]);
  const steer = Math.max(-1, Math.min(1, 2.4 * near));
  const target = CRUISE * Math.max(0.35, 1 - 0.9 * Math.abs(far));
  const throttle = Math.max(-1, Math.min(1, 3 * (target - o.speed)));
  return { steer, throttle };
}
