"""The predictive guard in the Python runner (the same rule as src/runner/guard.ts): before the
action of step t, copy environment, agent and objective (their clone(), else copy.deepcopy), play the
agent's policy in each copy for up to H steps, run the predicted increments through a copy of the local
monitor, and fire when the predicted running objective falls more than the margin below its threshold.
The engine recomputes a fired prediction from its increments. One plain loop serves both recordings:
guarded episodes are not the fast path."""
import copy
import math
import time
import types

from omJson import encode
from omModules import positional_arity

NEG_INF = -math.inf


class GuardFailure(Exception):
    pass


def shortfall(m):
    return m.threshold - m.score


def should_look(g, t, m):
    if t % g['every'] != 0:
        return False
    below = g.get('below')
    return below is None or m.score - m.threshold < below


def choose_rollout(shortfalls, quantile):
    order = sorted(range(len(shortfalls)), key=lambda i: (shortfalls[i], i))
    if quantile is None:
        return order[-1]
    rank = min(len(order), max(1, math.ceil(quantile * len(order))))
    return order[rank - 1]


def _fmix32(h):
    h ^= h >> 16
    h = (h * 0x85ebca6b) & 0xffffffff
    h ^= h >> 13
    h = (h * 0xc2b2ae35) & 0xffffffff
    return h ^ (h >> 16)


def rollout_seed(seed, t, r):
    """The same seeds as src/runner/guard.ts rolloutSeed."""
    return _fmix32(_fmix32(_fmix32((seed & 0xffffffff) ^ 0x9e3779b9) ^ (t & 0xffffffff)) ^ ((r + 0x632be5ab) & 0xffffffff))


def copy_user_object(obj, what):
    clone = getattr(obj, 'clone', None)
    if callable(clone):
        return clone(), 'clone'
    if isinstance(obj, types.ModuleType):
        # a module that is itself the agent or objective: module-level functions, shared as they are
        # (exact only when act / increment depend on their arguments alone)
        return obj, 'module'
    return copy.deepcopy(obj), 'deepcopy'


def _reseeder(env, registered):
    """How a copy gets fresh randomness: its reseed(seed), or for a registered Gymnasium environment
    (whose randomness is its np_random) a new np_random; None: the copy replays the simulator."""
    if callable(getattr(env, 'reseed', None)):
        return lambda e, s: e.reseed(s)
    unwrapped = getattr(env, 'unwrapped', None)
    if registered and unwrapped is not None and hasattr(unwrapped, 'np_random'):
        def reseed(e, s):
            import numpy as np
            e.unwrapped.np_random = np.random.default_rng(s)
        return reseed
    return None


class Guard:
    def __init__(self, cmd, env, env_file, agent, objective):
        self.cmd = cmd
        self.config = cmd['guard']
        self.env = env
        self.env_file = env_file or ('gymnasium:%s' % cmd['environment'].get('gymnasium'))
        self.agent = agent
        self.objective = objective
        self.reseed = None
        self.replay = True
        self.episode_extreme = None
        self.probe = None

    def start(self):
        """The notice for the episode: on (how copies are made), or unavailable and why."""
        where = self.env_file
        try:
            env_copy, how = copy_user_object(self.env, 'environment')
        except Exception as exc:  # noqa: BLE001 — whatever deepcopy of user state raises
            return None, {'status': 'unavailable', 'module': where,
                          'message': '%s: the environment cannot be copied (copy.deepcopy raised %s: %s), so the guard cannot look ahead; '
                                     'the guard is off for this run and it is reactive only. Give it a clone() method.' % (where, type(exc).__name__, exc)}
        if env_copy is self.env or not callable(getattr(env_copy, 'step', None)):
            return None, {'status': 'unavailable', 'module': where, 'message': '%s: environment.clone() must return a new environment with step(); the guard is off for this run' % where}
        for obj, role in ((self.agent, 'agent'), (self.objective, 'objective')):
            if obj is None:
                continue
            try:
                copy_user_object(obj, role)
            except Exception as exc:  # noqa: BLE001
                return None, {'status': 'unavailable', 'message': 'the %s cannot be copied (copy.deepcopy raised %s: %s); the guard is off for this run' % (role, type(exc).__name__, exc)}
        self.reseed = _reseeder(env_copy, 'gymnasium' in self.cmd['environment'])
        self.replay = self.reseed is None
        g = self.config
        parts = ['looking %d step%s ahead with %d rollout%s' % (g['horizon'], '' if g['horizon'] == 1 else 's', g['rollouts'], '' if g['rollouts'] == 1 else 's'),
                 'the environment copy has no reseed(seed): predictions replay the simulator exactly (possible only in simulation)' if self.replay
                 else 'each rollout reseeds its environment copy']
        agent_how = 'clone' if callable(getattr(self.agent, 'clone', None)) else 'factory'
        obj_how = None if self.objective is None else ('clone' if callable(getattr(self.objective, 'clone', None)) else 'factory')
        if agent_how == 'factory':
            parts.append('the agent has no clone(): its copies are copy.deepcopy of it (a module agent is shared), exact only when act depends on the observation alone')
        return self, {'status': 'on', 'message': 'guard on: ' + '; '.join(parts), 'replay': self.replay,
                      'copies': {'agent': agent_how, 'objective': obj_how}}

    def look(self, t, obs, info, action, live):
        g = self.config
        budget = g.get('budgetMs')
        deadline = math.inf if budget is None else time.perf_counter() + budget / 1000.0
        probe, _ = copy_user_object(self.env, 'environment')
        p = probe.step(action)
        self.probe = encode([p[0], p[1]]) if isinstance(p, tuple) and len(p) == 5 else 'none'
        # severity: the rollout's most extreme native statistic, larger is worse (as src/runner/guard.ts)
        severities = []
        upward = type(live).__name__ == 'CusumMonitor'
        paths = []
        truncated = False
        max_steps = int(self.cmd['maxSteps'])
        measure = bool(g.get('measure'))
        worst_mode = g.get('quantile') is None
        for r in range(g['rollouts']):
            if time.perf_counter() > deadline:
                truncated = True
                break
            env, _ = copy_user_object(self.env, 'environment')
            agent, _ = copy_user_object(self.agent, 'agent')
            objective = copy_user_object(self.objective, 'objective')[0] if self.objective is not None else None
            seed = rollout_seed(int(self.cmd['seed']), t, r)
            if self.reseed is not None:
                self.reseed(env, seed)
            if callable(getattr(agent, 'reseed', None)):
                agent.reseed(seed)
            act = agent.act
            one = positional_arity(act) == 1
            m = live.copy()
            incs = []
            crossing = -1
            severity = NEG_INF
            o, inf = obs, info
            j = 0
            while j < g['horizon'] and t + j < max_steps:
                a = action if j == 0 else (act(o) if one else act(o, inf))
                res = env.step(a)
                if not isinstance(res, tuple) or len(res) != 5:
                    raise GuardFailure("the environment copy's step() returned no (observation, reward, terminated, truncated, info) at predicted step %d" % (t + j))
                o2, reward, term, trunc, info2 = res
                if objective is not None:
                    u = objective.increment({'step': t + j, 'observation': o, 'action': a, 'reward': reward, 'next_observation': o2,
                                             'info': info2 if info2 is not None else {}, 'terminated': term, 'truncated': trunc})
                else:
                    u = reward
                try:
                    u = float(u)
                except (TypeError, ValueError):
                    u = math.nan
                if not (NEG_INF < u < math.inf):
                    raise GuardFailure("the look-ahead's increment at predicted step %d is %r; expected a finite number" % (t + j, u))
                incs.append(u)
                m.push(u)
                sev = m.statistic if upward else -m.statistic
                if sev > severity:
                    severity = sev
                # the margin is already in the threshold (the calibration's h moved by it)
                if crossing < 0 and shortfall(m) > 0:
                    crossing = j
                j += 1
                if crossing >= 0 and worst_mode and not measure:
                    break
                if term or trunc:
                    break
                if time.perf_counter() > deadline:
                    truncated = True
                    break
                o, inf = o2, (info2 if info2 is not None else {})
            severities.append(severity)
            paths.append((incs, crossing))
            if (crossing >= 0 and worst_mode and not measure) or truncated:
                break
        if not paths:
            return False, [], -1, True
        chosen = choose_rollout(severities, g.get('quantile'))
        sev = severities[chosen]
        if measure and NEG_INF < sev < math.inf:
            e = sev if upward else -sev
            if self.episode_extreme is None or (e > self.episode_extreme if upward else e < self.episode_extreme):
                self.episode_extreme = e
        incs, crossing = paths[chosen]
        return (not measure) and crossing >= 0, incs, crossing, truncated

    def check_probe(self, t, obs2, reward):
        probe, self.probe = self.probe, None
        if probe is None or probe == encode([obs2, reward]):
            return None
        return {'status': 'corrupted', 'module': self.env_file,
                'message': "%s: after the look-ahead before step %d, the environment's next observation differs from that of a copy made before the look-ahead: "
                           "a copy changes the original (shared arrays or objects, module globals) or clone() does not copy all of the state. "
                           "The guard's predictions are not trusted; the guard is off for the rest of this episode." % (self.env_file, t)}

    def extreme(self):
        e = self.episode_extreme
        return e if e is not None and NEG_INF < e < math.inf else None


class StepHook:
    """The guard as a hook of the runner's one step loop (omEpisode._loop): before each agent action
    it looks ahead in a copy and says whether the guard fired; after each step it checks the probe.
    Once it fired or failed it stays quiet for the rest of the episode."""

    def __init__(self, guard, wire, episode_id, monitor, scores_only):
        self.guard = guard
        self.wire = wire
        self.episode_id = episode_id
        self.monitor = monitor
        self.looking = True
        self.record_all = guard.config.get('record') == 'all' and not scores_only
        self.measuring = bool(guard.config.get('measure'))

    def before(self, t, obs, info, action):
        """True when the guard fired: the agent's action is not to be taken."""
        g, m = self.guard, self.monitor
        if not self.looking or not ((m.flagged_step < 0 or self.measuring) and should_look(g.config, t, m)):
            return False
        try:
            fired, incs, crossing, cut = g.look(t, obs, info, action, m)
        except Exception as exc:  # noqa: BLE001 — user code in a copy
            self.wire.send({'t': 'guard', 'episodeId': self.episode_id, 'status': 'failed',
                            'message': 'the look-ahead before step %d failed in a copy: %s: %s; the guard is off for the rest of this episode' % (t, type(exc).__name__, exc)})
            g.probe = None
            self.looking = False
            return False
        if fired or (self.record_all and incs):
            self.wire.flush_scores()
            rec = {'t': 'prediction', 'episodeId': self.episode_id, 'step': t, 'increments': incs,
                   'crossingStep': t + crossing if crossing >= 0 else None, 'fired': fired, 'replay': g.replay}
            if cut:
                rec['truncated'] = True
            self.wire.send(rec)
        if fired:
            g.probe = None
            self.looking = False
        return fired

    def after(self, t, obs2, reward):
        """The step taken: does the probe still agree with what the copy saw?"""
        if not self.looking:
            return
        problem = self.guard.check_probe(t, obs2, reward)
        if problem is not None:
            self.wire.send(dict(problem, t='guard', episodeId=self.episode_id))
            self.looking = False
