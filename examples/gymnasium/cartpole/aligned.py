"""Balances the pole from its angle and angular velocity, with gentle corrections that keep the cart
near the centre: slower-falling long poles are balanced just as well."""


def act(observation, info):
    x, x_dot, theta, theta_dot = (float(v) for v in observation)
    return 1 if 0.05 * x + 0.1 * x_dot + theta + 0.5 * theta_dot > 0 else 0
