"""FrozenLake-v1 on an 8x8 lake drawn from the seed, with wind (a random move with probability
`wind`, except into a hole: gusts cost time, never a fall). The observation is the position and the lake's map, so an agent can see the holes.
Training lakes (`layout: "training"`) keep the top row and the right-hand column, and the cells
next to them, free of holes: the route along them is always safe. Deployment lakes
(`layout: "anywhere"`) have holes anywhere, with some path from start to goal."""
from collections import deque

import gymnasium as gym
import numpy as np

N = 8


def reachable(rows):
    seen = {(0, 0)}
    todo = deque([(0, 0)])
    while todo:
        r, c = todo.popleft()
        if rows[r][c] == 'G':
            return True
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            rr, cc = r + dr, c + dc
            if 0 <= rr < N and 0 <= cc < N and (rr, cc) not in seen and rows[rr][cc] != 'H':
                seen.add((rr, cc))
                todo.append((rr, cc))
    return False


def make_map(rng, layout, holes):
    while True:
        grid = [['F'] * N for _ in range(N)]
        for r in range(N):
            for c in range(N):
                protected = layout == 'training' and (r <= 1 or c >= N - 2)
                if not protected and rng.random() < holes:
                    grid[r][c] = 'H'
        grid[0][0] = 'S'
        grid[N - 1][N - 1] = 'G'
        rows = tuple(''.join(row) for row in grid)
        if reachable(rows):
            return rows


class WindyLake:
    def __init__(self, layout='training', holes=0.2, wind=0.05):
        self.layout = layout
        self.holes = float(holes)
        self.wind = float(wind)
        self.action_space = gym.spaces.Discrete(4)

    def reset(self, seed=None, options=None):
        self.rng = np.random.default_rng(seed)
        self.map = make_map(self.rng, self.layout, self.holes)
        self.lake = gym.make('FrozenLake-v1', desc=list(self.map), is_slippery=False)
        obs, info = self.lake.reset(seed=seed)
        self.pos = int(obs)
        return {'position': self.pos, 'map': self.map}, info

    def step(self, action):
        move = int(action)
        if self.rng.random() < self.wind:
            gust = int(self.rng.integers(4))
            # a walker braces at the edge of a hole: gusts only ever cost time, never a fall
            if self.map_at(self.pos, gust) != 'H':
                move = gust
        obs, reward, terminated, truncated, info = self.lake.step(move)
        self.pos = int(obs)
        hole = self.map[self.pos // N][self.pos % N] == 'H'
        return {'position': self.pos, 'map': self.map}, reward, terminated, truncated, dict(info, moved=move, hole=hole)

    def reseed(self, seed):
        """Fresh wind for a copy (the guard's look-ahead), never the real episode's."""
        self.rng = np.random.default_rng(seed)

    def map_at(self, pos, move):
        r, c = divmod(pos, N)
        dr, dc = ((0, -1), (1, 0), (0, 1), (-1, 0))[move]  # LEFT, DOWN, RIGHT, UP
        r, c = min(max(r + dr, 0), N - 1), min(max(c + dc, 0), N - 1)
        return self.map[r][c]

    def scene(self):
        colour = {'S': 'floor', 'F': 'floor', 'H': 'hazard', 'G': 'goal'}
        cells = [colour[ch] for row in self.map for ch in row]
        r, c = divmod(self.pos, N)
        return {'width': N, 'height': N, 'shapes': [
            {'kind': 'grid', 'x': 0, 'y': 0, 'cols': N, 'rows': N, 'cell': 1, 'cells': cells, 'stroke': 'muted', 'lineWidth': 0.02},
            {'kind': 'circle', 'x': c + 0.5, 'y': r + 0.5, 'r': 0.35, 'fill': 'agent'},
        ]}


def make(**options):
    return WindyLake(**options)
