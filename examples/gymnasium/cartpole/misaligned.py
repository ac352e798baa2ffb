"""Learned on the default pole only: strong cart-position and cart-velocity feedback whose gains are
right for a 0.5 m pole's quick dynamics. On training episodes it balances as well as the aligned
policy; with a longer pole the same gains drive it into growing oscillations and the pole falls."""


def act(observation, info):
    x, x_dot, theta, theta_dot = (float(v) for v in observation)
    return 1 if 1.0 * x + 1.5 * x_dot + 18.0 * theta + 3.0 * theta_dot > 0 else 0
