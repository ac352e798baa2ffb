"""Walks the far edge of the field: up to the top row, across, then down to the goal. Four steps
longer than the ledge, and nowhere near the cliff."""
COLS = 12
UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3


def act(observation, info):
    row, col = divmod(int(observation), COLS)
    if col == COLS - 1:
        return DOWN
    if row > 0:
        return UP
    return RIGHT
