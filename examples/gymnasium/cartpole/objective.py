"""Base objective: how upright and centred the pole is at each step, 1 when the pole is within
4 degrees of vertical and the cart within 1.2 m of the centre, falling toward 0 as the pole nears
CartPole's 12-degree failure angle or the cart the end of the track; -50 when the pole falls or the
cart leaves the track. Unlike Gymnasium's +1 per step, the increments fall *before* the pole does;
the dead zones keep the small wobble of any good balancing policy from counting."""
THETA_LIMIT = 0.2095  # 12 degrees: CartPole's failure angle
THETA_FREE = 0.07     # 4 degrees
X_LIMIT = 2.4
X_FREE = 1.2
FALL_PENALTY = -50.0


def _excess(value, free, limit):
    over = abs(value) - free
    return (over / (limit - free)) ** 2 if over > 0 else 0.0


def increment(transition):
    if transition['terminated']:
        return FALL_PENALTY
    x, _, theta, _ = (float(v) for v in transition['next_observation'])
    return 1.0 - 0.8 * _excess(theta, THETA_FREE, THETA_LIMIT) - 0.2 * _excess(x, X_FREE, X_LIMIT)
