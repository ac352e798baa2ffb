// Base objective: how upright and centred the pole is at each step (the same as the Gymnasium
// CartPole example's objective.py). 1 while the pole is within 4 degrees of vertical and the cart
// within 1.2 m of the centre, falling toward 0 as the pole nears the 12-degree failure angle or the
// cart the end of the track; -50 when the pole falls. Unlike the +1 reward per step, the increments
// fall *before* the pole does.
const THETA_LIMIT = 0.2095, THETA_FREE = 0.07, X_LIMIT = 2.4, X_FREE = 1.2, FALL_PENALTY = -50;

const excess = (v: number, free: number, limit: number) => {
  const over = Math.abs(v) - free;
  return over > 0 ? (over / (limit - free)) ** 2 : 0;
};

export default function uprightness() {
  return {
    increment(t: { nextObservation: number[]; terminated: boolean }) {
      if (t.terminated) return FALL_PENALTY;
      const [x, , theta] = t.nextObservation;
      return 1 - 0.8 * excess(theta, THETA_FREE, THETA_LIMIT) - 0.2 * excess(x, X_FREE, X_LIMIT);
    },
  };
}
