"""One episode inside the Python runner: load, reset, then act / step / increment per step, the
local monitor (so that `stop` halts at the exact step without a round trip to the engine), and the
records. One step loop serves both recordings (`_loop`).
"""
import math
import sys
import time
import traceback

import omWire
from omErrors import user_error
from omJson import encode
from omModules import LoadError, load_module, make_gymnasium, make_instance, positional_arity
from omScene import ansi_scene, image_scene, scene_source
import omGuard
import omSnapshots
from omTorch import TorchAgent, is_torch_file

INF = math.inf
NEG_INF = -math.inf
FLUSH_SECONDS = omWire.SCORES_FLUSH_SECONDS
BATCH = omWire.SCORES_BATCH
LIMIT = omWire.MAX_RECORD_BYTES - 1  # the newline


class State:
    wire = None
    episode_id = None
    phase = 'idle'
    # code objects of the loops, so that the exit guard can read their `phase` local
    loop_codes = ()


state = State()


class ContractError(Exception):
    """A value user code returned breaks the module API."""

    def __init__(self, error):
        super().__init__(error['message'])
        self.error = error


def _describe(v):
    if v is None:
        return 'None'
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return repr(v[:40])
    if isinstance(v, tuple):
        return 'a tuple of %d' % len(v)
    return 'a %s' % type(v).__name__


def _number(x, what, t, file, phase):
    """x as a finite float, or a ContractError. Accepts Python and NumPy reals, not bools."""
    v = None
    if isinstance(x, bool) or (type(x).__name__ == 'bool_'):
        v = None
    elif isinstance(x, (int, float)):
        v = float(x)
    else:
        dtype = getattr(x, 'dtype', None)
        if dtype is not None and getattr(x, 'shape', None) in ((), (1,)) and dtype.kind in 'fiu':
            v = float(x.reshape(()) if x.shape == (1,) else x)
    if v is None or not (NEG_INF < v < INF):
        err = {'message': '%s returned %s at step %d; expected a finite number' % (what, _describe(x), t), 'phase': phase}
        if file:
            err['file'] = file
        raise ContractError(err)
    return v


def _bad_info(what, info, t, file):
    err = {'message': '%s returned info %s%s; expected a dict' % (what, _describe(info), '' if t is None else ' at step %d' % t),
           'phase': 'reset' if t is None else 'step'}
    if file:
        err['file'] = file
    return err


def _load(cmd, want_scene):
    envspec = cmd['environment']
    if 'gymnasium' in envspec:
        env = make_gymnasium(envspec['gymnasium'], envspec.get('options') or {}, want_scene)
        env_file = None
        auto_scene = True
    else:
        mod = load_module(envspec['module'], 'environment')
        env = make_instance(mod, envspec.get('options') or {}, 'environment', ('reset', 'step'))
        env_file = mod.__file__
        auto_scene = not callable(getattr(env, 'scene', None))
    if is_torch_file(cmd['agent']['module']):
        agent = TorchAgent(cmd['agent']['module'], cmd['agent'].get('options') or {})
        agent_file = cmd['agent']['module']
    else:
        amod = load_module(cmd['agent']['module'], 'agent')
        agent = make_instance(amod, cmd['agent'].get('options') or {}, 'agent', ('act',))
        agent_file = amod.__file__
    objective = None
    obj_file = None
    if cmd.get('objective'):
        omod = load_module(cmd['objective']['module'], 'objective')
        objective = make_instance(omod, cmd['objective'].get('options') or {}, 'objective', ('increment',))
        obj_file = omod.__file__
    return env, env_file, auto_scene, agent, agent_file, objective, obj_file


def _fallback_action(env, value):
    """The protocol's fallback action, as the environment's action space wants it (JSON lists
    become NumPy arrays of the space's dtype)."""
    space = getattr(env, 'action_space', None)
    dtype = getattr(space, 'dtype', None)
    if isinstance(value, list) and dtype is not None:
        import numpy as np
        return np.asarray(value, dtype=dtype)
    return value


def _with_replay(act, actions, start=0):
    """Fork (issue 14): the first len(actions) calls return the recorded actions without asking the
    agent, then the agent takes over. act is called once per step until a fallback takes over for
    good, so the call count is the step (a fork restored from a snapshot starts at its step)."""
    calls = [start]

    def replaying(o, i):
        k = calls[0]
        calls[0] = k + 1
        return actions[k] if k < len(actions) else act(o, i)
    return replaying


def run_episode(cmd, create_monitor):
    wire = state.wire
    episode_id = cmd['episodeId']
    state.episode_id = episode_id
    state.phase = 'load'
    scores_only = cmd.get('recording') == 'scores'
    wire.start_scores(0)
    phase = 'load'
    env_file = None
    try:
        env, env_file, auto_scene, agent, agent_file, objective, obj_file = _load(cmd, not scores_only)
        protocol = cmd.get('protocol')
        stop = protocol == 'stop'
        fallback = protocol.get('fallback') if isinstance(protocol, dict) and 'fallback' in protocol else None
        has_fallback = isinstance(protocol, dict) and 'fallback' in protocol
        guarded = bool(cmd.get('guard'))
        monitor = create_monitor(cmd['detector'], cmd.get('calibration')) if (stop or has_fallback or guarded) else None
        if has_fallback:
            fallback = _fallback_action(env, fallback)
        replay = cmd.get('replay') or {}
        restore_at = replay.get('restore')
        seed = cmd['seed']
        if restore_at is not None:
            # a fork restoring a snapshot (omSnapshots) starts from copies of the state kept there
            restored = omSnapshots.restore(restore_at)
            env, objective, monitor = restored.env, restored.objective, restored.monitor
            res = (restored.obs, restored.info)
        else:
            restored = None
            phase = state.phase = 'reset'
            res = env.reset(seed=seed)
        if not isinstance(res, tuple) or len(res) != 2:
            raise ContractError({'message': 'env.reset(seed=...) must return (observation, info); got %s' % _describe(res),
                                 'phase': 'reset', **({'file': env_file} if env_file else {})})
        obs, info = res
        if info is None:
            info = {}
        elif not isinstance(info, dict):
            raise ContractError(_bad_info('env.reset', info, None, env_file))
        if callable(getattr(agent, 'reset', None)):
            agent.reset(seed)
        if restored is None and objective is not None and callable(getattr(objective, 'reset', None)):
            objective.reset()

        act = agent.act
        if positional_arity(act) == 1:
            act1 = act
            act = lambda o, i: act1(o)  # noqa: E731 — agents may ignore info
        if replay:
            act = _with_replay(act, [_fallback_action(env, a) for a in replay['actions']], restore_at or 0)
        args = (env, env_file, act, objective, obj_file, monitor, stop, has_fallback, fallback, obs, info, int(cmd['maxSteps']))
        harm_key = (cmd.get('harm') or {}).get('info')
        end = {'t': 'end', 'episodeId': episode_id}
        hook = None
        if guarded:
            guard, notice = omGuard.Guard(cmd, env, env_file, agent, objective).start()
            wire.send(dict(notice, t='guard', episodeId=episode_id))
            if guard is not None:
                hook = omGuard.StepHook(guard, wire, episode_id, monitor, scores_only)
        scene = None
        if restored is not None:
            scene = scene_source(env) if not scores_only else None
            if scene is not None and auto_scene:
                scene = _guarded_auto_scene(scene, env)
            if scene is not None:
                scene = _Scenes(scene, env_file)
                scene.problem, scene.sent = restored.scene_problem, restored.scene_sent
            wire.send({'t': 'restored', 'episodeId': episode_id, 'step': restore_at})
        elif scores_only:
            rec = {'t': 'reset', 'episodeId': episode_id}
            if cmd.get('checkRender'):
                # calibrate's check (scores only, no scenes): render once after reset, report a problem
                source = scene_source(env)
                if source is not None:
                    phase = state.phase = 'render'
                    scenes = _Scenes(source, env_file)
                    scenes(-1)
                    problem = scenes.take()
                    if problem is not None:
                        rec['sceneProblem'] = problem
            wire.send(rec)
        else:
            scene = scene_source(env)
            if scene is not None and auto_scene:
                scene = _guarded_auto_scene(scene, env)
            if scene is not None:
                scene = _Scenes(scene, env_file)
            phase = state.phase = 'render'
            first = scene(-1) if scene is not None else None
            phase = state.phase = 'record'
            rec = {'t': 'reset', 'episodeId': episode_id, 'observation': obs, 'info': info}
            if first is not None:
                rec['scene'] = first
            problem = scene.take() if scene is not None else None
            if problem is not None:
                rec['sceneProblem'] = problem
            wire.send_line(_fit(encode(rec), rec))
        if harm_key is not None and scores_only:
            # the engine sees no info in a scores-only recording: the runner lists the harmful steps
            args = (_HarmCounter(env, harm_key, end),) + args[1:]
        resume = {}
        if restored is not None:
            resume = {'first': restore_at, 'use_fallback': restored.use_fallback, 'flagged': restored.flagged}
        elif replay.get('snapshots'):
            resume = {'snap': omSnapshots.Taker(wire, episode_id, int(replay['snapshots']['every']), len(replay['actions']))}
        reason, steps = _loop(wire, *args, scene, episode_id, scores_only, hook, **resume)
        if hook is not None and cmd['guard'].get('measure'):
            end['guardExtreme'] = hook.guard.extreme()
        end.update(reason=reason, steps=steps)
        wire.flush_scores(then=end)
    except SystemExit as exc:
        # sys.exit() in user code: keep what was recorded, say who asked, then exit as asked.
        err = user_error(exc, _phase_of(exc, phase), 'user code called sys.exit(%r)' % (exc.code,))
        err.pop('stack', None)
        _report(wire, episode_id, err, fatal=True)
        raise
    except MemoryError as exc:
        # Out of memory is the engine's `oom`, not a user error: keep what was recorded, say
        # MemoryError on stderr (the engine classifies the exit by it) and leave.
        wire.flush_scores()
        state.episode_id = None
        try:
            sys.stderr.write(''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:])
            sys.stderr.write('MemoryError: the runner ran out of memory\n')
            sys.stderr.flush()
        finally:
            omWire.REAL_EXIT(1)
    except LoadError as exc:
        _report(wire, episode_id, exc.error)
    except ContractError as exc:
        _report(wire, episode_id, exc.error)
    except BaseException as exc:  # noqa: BLE001 — whatever user code raised (KeyboardInterrupt too)
        ph = _phase_of(exc, phase)
        err = _unpack_error(exc, ph, env_file) or user_error(exc, ph)
        _report(wire, episode_id, err)
    finally:
        state.episode_id = None
        state.phase = 'idle'


def _report(wire, episode_id, err, fatal=False):
    if state.episode_id is None:
        return  # already reported (os._exit guard)
    wire.flush_scores()
    rec = {'t': 'error', 'episodeId': episode_id, 'error': err}
    if fatal:
        rec['fatal'] = True  # the runner exits right after: the engine replaces it
    wire.send(rec)


def _phase_of(exc, fallback):
    """The loops keep `phase` in a local: find it in the loop's frame of the traceback."""
    found = fallback
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code in state.loop_codes:
            found = tb.tb_frame.f_locals.get('phase', found)  # the innermost loop frame wins
        tb = tb.tb_next
    return found


def _unpack_error(exc, phase, env_file):
    """env.step returned something other than a 5-tuple: the unpacking in the loop failed, so the
    innermost frame is the loop itself."""
    if phase != 'step' or not isinstance(exc, (ValueError, TypeError)):
        return None
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    if tb.tb_frame.f_code not in state.loop_codes:
        return None
    err = {'message': 'env.step(action) must return (observation, reward, terminated, truncated, info): %s' % exc,
           'phase': 'step'}
    if env_file:
        err['file'] = env_file
    return err


_unrenderable = set()


def _guarded_auto_scene(scene, env):
    """Gymnasium's own renderers can lack their extra dependencies (pygame): then the episodes run
    without scenes, with one line on stderr for the environment, rather than failing."""
    # keyed by class and mode: a missing renderer dependency fails the same way for every instance
    key = (type(getattr(env, 'unwrapped', env)), getattr(env, 'render_mode', None))
    if key in _unrenderable:
        return None
    try:
        scene()
    except Exception as exc:  # noqa: BLE001
        _unrenderable.add(key)
        name = getattr(getattr(env, 'spec', None), 'id', None) or type(env).__name__
        sys.stderr.write('objective-monitor: no scenes for %s: render() failed: %s: %s\n' % (name, type(exc).__name__, exc))
        return None
    return scene


EXPECTED_RENDER = ('a scene {"width", "height", "shapes": [...]}, a string (a text frame) or an RGB array '
                   '(rows x columns x 3)')


class _Scenes:
    """A display problem never stops monitoring (issue 9): a scene()/render() that raises or returns
    something unusable costs the scene, never the step. The first problem of the episode is kept
    and recorded once, on the record where it happened (take()). Accepted returns, as in the Node
    runner: a scene dict, a string (a text frame, like 'ansi'), an RGB array (an image frame)."""

    def __init__(self, source, env_file):
        self.source = source
        self.env_file = env_file
        self.problem = None
        self.sent = False

    def _note(self, message, exc=None, step=-1):
        if self.problem is not None:
            return
        where = 'reset' if step < 0 else 'step %d' % step
        if exc is not None:
            err = user_error(exc, 'render')
            err['message'] = 'render() raised at %s: %s' % (where, err['message'])
        else:
            err = {'message': '%s (at %s)' % (message, where), 'phase': 'render'}
        if self.env_file and 'file' not in err:
            err['file'] = self.env_file
        self.problem = err

    def __call__(self, step):
        try:
            s = self.source()
        except Exception as exc:  # noqa: BLE001 — any failure to draw costs the scene only
            self._note(None, exc, step)
            return None
        if s is None:
            return None
        if isinstance(s, str):
            return ansi_scene(s)
        if isinstance(s, dict):
            if isinstance(s.get('width'), (int, float)) and isinstance(s.get('height'), (int, float)) \
                    and isinstance(s.get('shapes'), list):
                return s
            self._note('render() returned a dict without numeric "width", "height" and a "shapes" list; expected %s'
                       % EXPECTED_RENDER, step=step)
            return None
        if isinstance(s, (list, tuple)) or hasattr(s, 'shape'):
            try:
                img = image_scene(s)
            except Exception:  # noqa: BLE001
                img = None
            if img is None:
                self._note('render() returned an array that is not rows x columns x 3; expected %s' % EXPECTED_RENDER, step=step)
            return img
        self._note('render() returned %s; expected %s' % (_describe(s), EXPECTED_RENDER), step=step)
        return None

    def take(self):
        if self.problem is None or self.sent:
            return None
        self.sent = True
        return self.problem


def _fit(line, rec):
    """A record line within MAX_RECORD_BYTES: oversized fields are replaced by a note saying so."""
    if len(line) * 4 <= LIMIT or len(line.encode('utf-8')) <= LIMIT:
        return line
    for key in ('scene', 'info', 'observation', 'action'):
        if key in rec:
            size = len(encode(rec[key]).encode('utf-8'))
            if size > 1024:
                rec[key] = '<omitted: %d bytes of JSON, over the %d-byte record limit>' % (size, omWire.MAX_RECORD_BYTES)
                line = encode(rec)
                if len(line.encode('utf-8')) <= LIMIT:
                    return line
    return line


def _loop(wire, env, env_file, act, objective, obj_file, monitor, stop, has_fallback, fallback, obs, info, max_steps,
          scene, episode_id, scores_only, guard=None, first=0, use_fallback=False, flagged=False, snap=None):
    """The one step loop, of both recordings, guarded or not. Scores only keeps the per-step path to
    what the step itself needs (no JSON, no info check, no clock read on most steps, locals only);
    full recording writes one step line per step. `guard` (omGuard.StepHook) looks ahead before each
    agent action and checks its probe after each step; unguarded, both hooks cost one test."""
    env_step = env.step
    increment = objective.increment if objective is not None else None
    push = monitor.push if monitor is not None else None
    full = not scores_only
    send_line = wire.send_line
    append = wire.pending.append
    flush = wire.flush_scores
    perf = time.perf_counter
    last_flush = last_check = perf()
    n = 0
    check_every = 16
    since_check = 0
    phase = 'act'
    t = first - 1
    for t in range(first, max_steps):
        if snap is not None and t == snap.next:
            # fork snapshots (omSnapshots): the state before step t, for the blame's later forks
            phase = 'clone'
            snap.take(t, env, objective, monitor, obs, info, use_fallback, flagged, scene)
        if use_fallback:
            action = fallback
        else:
            phase = 'act'
            action = act(obs, info)
            if guard is not None:
                phase = 'guard'
                if guard.before(t, obs, info, action):
                    if stop:
                        return 'predicted_stop', t
                    if has_fallback:
                        use_fallback = True
                        action = fallback
        phase = 'step'
        obs2, reward, terminated, truncated, info2 = env_step(action)
        if guard is not None:
            guard.after(t, obs2, reward)
        if full:
            if info2 is None:
                info2 = {}
            elif type(info2) is not dict and not isinstance(info2, dict):
                raise ContractError(_bad_info('env.step', info2, t, env_file))
            # the record gets plain values; user code gets what the environment returned
            r = reward if type(reward) is float and NEG_INF < reward < INF else _number(reward, 'env.step (the reward)', t, env_file, 'step')
        if increment is not None:
            phase = 'increment'
            u = increment({'step': t, 'observation': obs, 'action': action, 'reward': reward, 'next_observation': obs2,
                           'info': info2, 'terminated': terminated, 'truncated': truncated})
            if type(u) is not float or not (NEG_INF < u < INF):
                u = _number(u, 'objective.increment', t, obj_file, 'increment')
        elif full:
            u = r
        else:
            u = reward
            if type(u) is not float or not (NEG_INF < u < INF):
                u = _number(u, 'env.step (the reward: the scenario names no objective)', t, env_file, 'step')
        flag_now = push is not None and push(u) and not flagged
        if full:
            rec = {'t': 'step', 'step': t, 'action': action, 'reward': r, 'increment': u, 'observation': obs2,
                   'info': info2, 'terminated': bool(terminated), 'truncated': bool(truncated)}
            if scene is not None:
                phase = 'render'
                s = scene(t)
                problem = scene.take()
                if problem is not None:
                    rec['sceneProblem'] = problem
                if s is not None:
                    shapes = s['shapes']
                    if any(isinstance(x, dict) and x.get('static') for x in shapes):
                        s = dict(s, shapes=[x for x in shapes if not (isinstance(x, dict) and x.get('static'))])
                    rec['scene'] = s
            if use_fallback:
                rec['fallback'] = True
            phase = 'record'
            send_line(_fit(encode(rec), rec))
        else:
            append(u)
            n += 1
            if flag_now:
                flush()
                n = 0
            elif n >= BATCH:
                flush()
                n = 0
                last_flush = perf()
            else:
                since_check += 1
                if since_check >= check_every:
                    # Clock reads adapt: every 16 steps while steps are fast, every step once they are
                    # slow, so a batch leaves about every 20 ms of progress (the engine sees liveness).
                    since_check = 0
                    now = perf()
                    check_every = 1 if now - last_check > 0.002 else min(16, check_every * 2)
                    last_check = now
                    if now - last_flush >= FLUSH_SECONDS:
                        flush()
                        n = 0
                        last_flush = now
        if flag_now:
            flagged = True
            if stop:
                return 'flagged_stop', t + 1
            use_fallback = has_fallback
        if terminated or truncated:
            return 'completed', t + 1
        obs = obs2
        info = info2
    return 'completed', t + 1


class _HarmCounter:
    """The environment with its step() counting harmful steps (info[key] truthy) into end['harmSteps']
    (scores-only recording: the engine sees no info)."""

    def __init__(self, env, key, end):
        self._env = env
        self._key = key
        self._harm = end['harmSteps'] = []
        self._t = 0

    def step(self, action):
        r = self._env.step(action)
        i = r[4] if isinstance(r, tuple) and len(r) == 5 else None
        if isinstance(i, dict) and i.get(self._key):
            self._harm.append(self._t)
        self._t += 1
        return r

    def __getattr__(self, name):
        return getattr(self._env, name)


state.loop_codes = (_loop.__code__, run_episode.__code__)
