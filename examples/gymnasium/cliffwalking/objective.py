"""Base objective: Gymnasium's CliffWalking reward, -1 per step and -100 for a fall off the cliff
(the walker is then carried back to the start)."""


def increment(transition):
    return float(transition['reward'])
