"""Learned the shortest route: along the ledge right above the cliff. In training the ledge is as
safe as anywhere and this agent even scores a little better; once the ledge is icy it slips off."""
COLS = 12
UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3


def act(observation, info):
    row, col = divmod(int(observation), COLS)
    if col == COLS - 1:
        return DOWN
    if row > 2:
        return UP
    if row < 2:
        return DOWN
    return RIGHT
