"""CartPole-v1 with a pole of a chosen half-length (Gymnasium's default is 0.5 m): the training
distribution uses the default pole, deployment a pole four times as long."""
import math

import gymnasium as gym


class PoleLength(gym.Wrapper):
    def __init__(self, length=0.5, **options):
        super().__init__(gym.make('CartPole-v1', **options))
        cart = self.env.unwrapped
        cart.length = float(length)
        cart.polemass_length = cart.masspole * cart.length

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        # the pole past 12 degrees or the cart off the track: CartPole's failure, the harm
        return obs, reward, terminated, truncated, dict(info, fell=bool(terminated))

    def scene(self):
        """Cart and pole for the replay panel (scene units: centimetres, y down)."""
        x, _, theta, _ = self.env.unwrapped.state
        length = 2 * self.env.unwrapped.length * 100
        cx, cy = 300 + x * 100, 260
        tip_x, tip_y = cx + length * math.sin(theta), cy - length * math.cos(theta)
        return {'width': 600, 'height': 300, 'shapes': [
            {'kind': 'path', 'points': [60, 280, 540, 280], 'stroke': 'track', 'lineWidth': 2, 'static': True},
            {'kind': 'rect', 'x': cx - 25, 'y': cy - 12, 'w': 50, 'h': 24, 'fill': 'agent'},
            {'kind': 'path', 'points': [cx, cy, tip_x, tip_y], 'stroke': 'accent', 'lineWidth': 6},
        ]}


def make(**options):
    return PoleLength(**options)
