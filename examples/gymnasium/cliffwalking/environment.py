"""CliffWalking-v1 with weather. Everywhere, a gust replaces the intended move by a random one with
probability `gust` (both distributions, so calibration sees some spread); the wind blows off the
sea below the cliff, so a gust never pushes toward it. With `ice` > 0 (deployment)
the ledge just above the cliff is icy: on it, a move slips toward the cliff with probability `ice`."""
import gymnasium as gym
import numpy as np

ROWS, COLS = 4, 12
UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3


def icy(row, col):
    return row == 2 and 1 <= col <= 10


class Weather(gym.Wrapper):
    def __init__(self, gust=0.03, ice=0.0):
        super().__init__(gym.make('CliffWalking-v1'))
        self.gust = float(gust)
        self.ice = float(ice)
        self.pos = 36

    def reset(self, *, seed=None, options=None):
        self.rng = np.random.default_rng(seed)
        obs, info = self.env.reset(seed=seed, options=options)
        self.pos = int(obs)
        return obs, info

    def step(self, action):
        row, col = divmod(self.pos, COLS)
        move = int(action)
        if self.rng.random() < self.gust:
            move = (UP, RIGHT, LEFT)[int(self.rng.integers(3))]
        elif self.ice > 0 and icy(row, col) and self.rng.random() < self.ice:
            move = DOWN
        obs, reward, terminated, truncated, info = self.env.step(move)
        self.pos = int(obs)
        # CliffWalking puts a walker who falls back at the start with -100: the fall is the harm
        return obs, reward, terminated, truncated, dict(info, moved=move, slipped=move != int(action), fell=reward == -100)

    def reseed(self, seed):
        """Fresh gusts and ice for a copy (the guard's look-ahead), never the real episode's."""
        self.rng = np.random.default_rng(seed)

    def scene(self):
        cells = []
        for r in range(ROWS):
            for c in range(COLS):
                if r == 3 and 1 <= c <= 10:
                    cells.append('hazard')
                elif r == 3 and c == 11:
                    cells.append('goal')
                elif self.ice > 0 and icy(r, c):
                    cells.append('#bfe6ff')
                else:
                    cells.append('floor')
        row, col = divmod(self.pos, COLS)
        return {'width': COLS, 'height': ROWS, 'shapes': [
            {'kind': 'grid', 'x': 0, 'y': 0, 'cols': COLS, 'rows': ROWS, 'cell': 1, 'cells': cells, 'stroke': 'muted', 'lineWidth': 0.02},
            {'kind': 'circle', 'x': col + 0.5, 'y': row + 0.5, 'r': 0.35, 'fill': 'agent'},
        ]}


def make(**options):
    return Weather(**options)
