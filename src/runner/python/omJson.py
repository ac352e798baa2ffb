"""JSON for records: NumPy and Gymnasium values recorded faithfully.

- NumPy arrays become nested lists, NumPy scalars (np.int64, np.float32, np.bool_) plain numbers
  and booleans, tuples lists, sets sorted lists, bytes base64 text, dict keys strings.
- JSON has no NaN or infinity: in observations, actions and info a non-finite float is recorded as
  the string "NaN", "Infinity" or "-Infinity". (A non-finite reward or increment is a user error.)
- Anything else is recorded as its repr(), cut to 200 characters.
Only the record is JSON: the objects handed to env.step and the objective are the user's own.
"""
import base64
import json
import math

_MAX_DEPTH = 64
_fast = json.JSONEncoder(separators=(',', ':'), allow_nan=False, ensure_ascii=False)


def _default(o):
    tolist = getattr(o, 'tolist', None)
    if tolist is not None and callable(tolist):
        # ndarray -> nested lists; NumPy scalar -> Python scalar
        return tolist()
    if isinstance(o, (set, frozenset)):
        try:
            return sorted(o)
        except TypeError:
            return list(o)
    if isinstance(o, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(o)).decode('ascii')
    return _repr(o)


def _repr(o):
    try:
        r = repr(o)
    except Exception:  # a user object whose __repr__ throws still gets recorded
        r = '<%s>' % type(o).__name__
    return r if len(r) <= 200 else r[:199] + '\u2026'


_fast_enc = json.JSONEncoder(separators=(',', ':'), allow_nan=False, ensure_ascii=False, default=_default)


def _non_finite(x):
    if x != x:
        return 'NaN'
    return 'Infinity' if x > 0 else '-Infinity'


def sanitize(o, depth=0):
    """A plain-JSON copy of o: the slow path, used only when the fast encoder refuses."""
    if o is None or o is True or o is False or isinstance(o, str):
        return o
    if isinstance(o, bool):
        return bool(o)
    if isinstance(o, int):
        return int(o)
    if isinstance(o, float):
        return float(o) if math.isfinite(o) else _non_finite(o)
    if depth >= _MAX_DEPTH:
        return '<nested deeper than %d levels>' % _MAX_DEPTH
    if isinstance(o, dict):
        return {(k if isinstance(k, str) else str(k)): sanitize(v, depth + 1) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [sanitize(v, depth + 1) for v in o]
    d = _default(o)
    if d is o or isinstance(d, str):
        return d
    return sanitize(d, depth + 1)


def encode(o):
    """JSON text of o: the fast C encoder first, the sanitizing copy when it refuses (NaN,
    non-string keys, deep nesting, unusual objects)."""
    try:
        return _fast_enc.encode(o)
    except (ValueError, TypeError, RecursionError):
        return _fast.encode(sanitize(o))

