"""Learned the route that was always safe in training: right along the top, then down the right
side. It never looks at the holes, so on a lake with holes on that route it walks into one."""
LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3


def act(observation, info):
    n = len(observation['map'])
    _, c = divmod(int(observation['position']), n)
    return RIGHT if c < n - 1 else DOWN
