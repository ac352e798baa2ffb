"""Fork snapshots (issue 14, docs/forks.md), the counterpart of src/runner/forkSnapshots.ts: while the
first fork of a blame replays the parent's actions, copies of the episode's state are kept every K
steps in this runner; a later fork restores the nearest one and replays only the steps after it.
Copies are made as the guard makes them (omGuard: clone(), else copy.deepcopy). The agent is not
copied: it has not acted before the fork step, so a fresh one reset with the seed is the same agent."""
import copy

from omGuard import copy_user_object

# the snapshots of the last episode that took them, by the step they were taken before
_kept = {}


class LoopState:
    __slots__ = ('env', 'objective', 'monitor', 'obs', 'info', 'use_fallback', 'flagged', 'scene_problem', 'scene_sent')

    def __init__(self, env, objective, monitor, obs, info, use_fallback, flagged, scene_problem, scene_sent):
        self.env = env
        self.objective = objective
        self.monitor = monitor
        self.obs = obs
        self.info = info
        self.use_fallback = use_fallback
        self.flagged = flagged
        self.scene_problem = scene_problem
        self.scene_sent = scene_sent


def _value(v):
    try:
        return copy.deepcopy(v)
    except Exception:  # noqa: BLE001 — recorded as JSON already: nothing in it changes the trace
        return v


def _copy_state(s):
    env, _ = copy_user_object(s.env, 'environment')
    if env is s.env or not callable(getattr(env, 'step', None)):
        raise TypeError('environment.clone() must return a new environment with step()')
    objective = copy_user_object(s.objective, 'objective')[0] if s.objective is not None else None
    monitor = s.monitor.copy() if s.monitor is not None else None
    return LoopState(env, objective, monitor, _value(s.obs), _value(s.info), s.use_fallback, s.flagged,
                     s.scene_problem, s.scene_sent)


class Taker:
    """Takes the snapshots of one replay: before steps every, 2*every, ... below `until`."""

    def __init__(self, wire, episode_id, every, until):
        _kept.clear()
        self.wire = wire
        self.episode_id = episode_id
        self.every = every
        self.until = until
        self.next = every if every < until else -1

    def take(self, t, env, objective, monitor, obs, info, use_fallback, flagged, scene):
        state = LoopState(env, objective, monitor, obs, info, use_fallback, flagged,
                          scene.problem if scene is not None else None, scene.sent if scene is not None else False)
        try:
            _kept[t] = _copy_state(state)
        except Exception as exc:  # noqa: BLE001 — whatever copying user state raises: forks replay from reset
            _kept.clear()
            self.next = -1
            self.wire.send({'t': 'snapshot', 'episodeId': self.episode_id, 'step': t,
                            'problem': 'the state cannot be copied (%s: %s)' % (type(exc).__name__, exc)})
            return
        self.wire.send({'t': 'snapshot', 'episodeId': self.episode_id, 'step': t})
        self.next = t + self.every if t + self.every < self.until else -1


def restore(step):
    """Fresh copies of the snapshot kept before `step` (the snapshot itself stays for later forks)."""
    s = _kept.get(step)
    if s is None:
        raise LookupError('no snapshot kept before step %d in this runner (the runner was replaced?)' % step)
    return _copy_state(s)
