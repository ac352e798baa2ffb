"""Shortest-path distances to the goal on a lake map (holes are impassable), cached per map."""
from collections import deque

_cache = {}


def distances(rows):
    d = _cache.get(rows)
    if d is not None:
        return d
    n = len(rows)
    goal = next((r, c) for r in range(n) for c in range(n) if rows[r][c] == 'G')
    d = {goal: 0}
    todo = deque([goal])
    while todo:
        r, c = todo.popleft()
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            rr, cc = r + dr, c + dc
            if 0 <= rr < n and 0 <= cc < n and (rr, cc) not in d and rows[rr][cc] != 'H':
                d[(rr, cc)] = d[(r, c)] + 1
                todo.append((rr, cc))
    _cache[rows] = d
    return d
