"""Loading user modules and making instances.

Python convention (the counterpart of the TypeScript default-export factory):
- a module may define `make(**options)` returning the instance (an environment, agent or objective);
- without `make`, the module itself is the instance (module-level `act`, `increment`, ...), and
  the scenario may give it no options.
Environments follow the Gymnasium API: `reset(seed=..)` -> (observation, info) and
`step(action)` -> (observation, reward, terminated, truncated, info); a gymnasium.Env returned by
`make` works as is. A Gymnasium id is made with `gymnasium.make(id, render_mode=.., **options)`.
Agents: `act(observation, info)` (or `act(observation)`) -> action, optional `reset(seed)`.
Objectives: `increment(transition)` -> float, transition a dict with step, observation, action,
reward, next_observation, info, terminated, truncated; optional `reset()`.
Modules are loaded once per path and reloaded when the file changes; instances are made fresh for
every episode.
"""
import importlib.util
import inspect
import os
import stat
import sys

from omErrors import user_error


class LoadError(Exception):
    """Carries a ready UserError payload."""

    def __init__(self, error):
        super().__init__(error.get('message'))
        self.error = error


_cache = {}
_counter = [0]
# os.path.realpath per resolved path: it lstat()s every component of the path, and load_module
# runs for every module of every episode (realpath alone cost ~40 us, as much as 8 CartPole steps)
_realpaths = {}


def _gymnasium_missing(exc):
    return isinstance(exc, ModuleNotFoundError) and (exc.name or '').split('.')[0] == 'gymnasium'


def missing_gymnasium_message():
    return 'gymnasium is not installed for %s: pip install gymnasium' % sys.executable


def _file_stat(path):
    """os.stat of path if it is a regular file, else None (one stat: load_module runs per episode)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def load_module(path, role):
    resolved = path
    st = _file_stat(path)
    if st is None and not path.endswith('.py'):
        resolved = path + '.py'
        st = _file_stat(resolved)
    if st is None:
        tried = path if path.endswith('.py') else '%s (and %s.py)' % (path, path)
        raise LoadError({'message': 'the %s module %s does not exist' % (role, tried), 'phase': 'load', 'file': path})
    key = _realpaths.get(resolved)
    if key is None:
        key = _realpaths[resolved] = os.path.realpath(resolved)
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    _counter[0] += 1
    stem = os.path.splitext(os.path.basename(resolved))[0]
    name = '_om_user_%d_%s' % (_counter[0], ''.join(c if c.isalnum() else '_' for c in stem))
    folder = os.path.dirname(os.path.abspath(resolved))
    # Sibling imports (`from helpers import x`) work as when the file is run as a script.
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(name, resolved)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 — any failure of user code at import is a user error
        sys.modules.pop(name, None)
        if _gymnasium_missing(exc):
            err = user_error(exc, 'load', missing_gymnasium_message())
        else:
            err = user_error(exc, 'load')
        if 'file' not in err:
            err['file'] = os.path.abspath(resolved)
        raise LoadError(err) from None
    _cache[key] = (stamp, module)
    return module


def make_instance(module, options, role, needs):
    """`make(**options)` when the module has it, else the module itself."""
    factory = getattr(module, 'make', None)
    if callable(factory):
        try:
            inst = factory(**(options or {}))
        except SystemExit:
            raise
        except BaseException as exc:  # noqa: BLE001
            raise LoadError(_with_file(user_error(exc, 'load'), module)) from None
    else:
        if options:
            raise LoadError({
                'message': 'the %s module %s has options %s but no make(**options) function to take them'
                           % (role, module.__file__, ', '.join(sorted(options))),
                'phase': 'load', 'file': module.__file__})
        inst = module
    for method in needs:
        if not callable(getattr(inst, method, None)):
            where = 'the object returned by make()' if inst is not module else 'the module'
            raise LoadError({
                'message': 'the %s module %s: %s has no %s() method (expected %s)'
                           % (role, module.__file__, where, method, ', '.join(m + '()' for m in needs)),
                'phase': 'load', 'file': module.__file__})
    return inst


def _with_file(err, module):
    if 'file' not in err:
        err['file'] = module.__file__
    return err


_arities = {}


def positional_arity(fn):
    """How many positional arguments fn takes (None when it takes *args or cannot be inspected).
    Kept per function: an agent's act is asked at every episode's start, and inspect.signature
    costs ~12 us. A bound method is kept by its function (a new agent instance per episode binds
    the same one)."""
    func = getattr(fn, '__func__', None)
    key = (func, True) if func is not None else fn
    try:
        n = _arities.get(key, _arities)
    except TypeError:  # an unhashable callable
        return _positional_arity(fn)
    if n is _arities:
        if len(_arities) >= 256:
            _arities.clear()  # modules reloaded many times: a bounded cache, not a leak
        n = _arities[key] = _positional_arity(fn)
    return n


def _positional_arity(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    n = 0
    for p in sig.parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return n


# ---- Gymnasium ids
_gym_envs = {}


def import_gymnasium():
    try:
        import gymnasium  # noqa: F401
    except ImportError as exc:
        raise LoadError({'message': missing_gymnasium_message(), 'phase': 'load',
                         'stack': '%s: %s' % (type(exc).__name__, exc)}) from None
    return sys.modules['gymnasium']


def supported_render_modes(gym, env_id):
    """The render modes an id's environment class declares, without making it."""
    try:
        spec = gym.spec(env_id)
        ep = spec.entry_point
        cls = ep if callable(ep) else gym.envs.registration.load_env_creator(ep)
        return list(getattr(cls, 'metadata', {}).get('render_modes', []))
    except Exception:
        return []


def make_gymnasium(env_id, options, want_scene):
    """A Gymnasium environment, reused across episodes with the same id and options: reset(seed=)
    re-seeds it fully, and gymnasium.make costs milliseconds (env checker, wrappers)."""
    gym = import_gymnasium()
    opts = dict(options or {})
    if 'render_mode' not in opts and want_scene:
        modes = supported_render_modes(gym, env_id)
        if 'ansi' in modes:
            opts['render_mode'] = 'ansi'
        elif 'rgb_array' in modes:
            opts['render_mode'] = 'rgb_array'
    try:
        key = repr(sorted(opts.items()))
    except TypeError:
        key = repr(opts)
    key = env_id + '\0' + key
    env = _gym_envs.get(key)
    if env is not None:
        return env
    try:
        env = gym.make(env_id, **opts)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001
        if _gymnasium_missing(exc):
            raise LoadError(user_error(exc, 'load', missing_gymnasium_message())) from None
        err = user_error(exc, 'load', 'gymnasium.make(%r) failed: %s: %s' % (env_id, type(exc).__name__, exc))
        raise LoadError(err) from None
    _gym_envs[key] = env
    return env
