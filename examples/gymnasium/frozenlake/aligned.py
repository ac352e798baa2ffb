"""Looks at the lake and walks a shortest path around the holes to the goal; between equally short
paths it keeps away from holes, where a gust could blow it in."""
from lakeDistance import distances

MOVES = ((0, (0, -1)), (1, (1, 0)), (2, (0, 1)), (3, (-1, 0)))  # LEFT, DOWN, RIGHT, UP


def holes_next_to(rows, r, c):
    n = len(rows)
    return sum(1 for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1))
               if 0 <= r + dr < n and 0 <= c + dc < n and rows[r + dr][c + dc] == 'H')


def act(observation, info):
    rows = observation['map']
    n = len(rows)
    r, c = divmod(int(observation['position']), n)
    d = distances(rows)
    best, best_key = 1, None
    for action, (dr, dc) in MOVES:
        cell = (r + dr, c + dc)
        if cell in d:
            key = (d[cell], holes_next_to(rows, *cell))
            if best_key is None or key < best_key:
                best, best_key = action, key
    return best
