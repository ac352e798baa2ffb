"""Base objective: progress toward the goal, measured as the drop in shortest-path distance around
the holes (+1 for a step along a shortest path, 0 or -1 when the wind or the agent goes astray),
and -10 for falling into a hole."""
from lakeDistance import distances

HOLE = -10.0


def increment(transition):
    rows = transition['observation']['map']
    n = len(rows)
    d = distances(rows)
    before = d.get(divmod(int(transition['observation']['position']), n))
    after = d.get(divmod(int(transition['next_observation']['position']), n))
    if after is None:
        return HOLE
    return float(before - after) if before is not None else 0.0
