"""The monitor, ported line for line from src/core/detectors.ts so that the runner halts at exactly
the step the engine flags (the engine recomputes it from the increments and is the authority).
Same floating-point operations in the same order: Python floats and JavaScript numbers are both
IEEE doubles without fused multiply-add, so both sides agree to the bit (test/engine/pythonDetectors.test.ts).

Alarm iff S_t < threshold_t. The native statistic decides (envelope/window: z < h; CUSUM: C > h;
fixed: S < level) and the threshold is nudged by one ulp where rounding would disagree.
Model arrays are indexed by step t. Past their end the detector extrapolates: envelope's mean keeps
its drift and its variance its growth per step; window and CUSUM use the tail of training's
distribution (tailMean, tailSd). A model without those fields reuses its last entry.
push(u) returns True on every alarming step; flagged_step is the first (-1 until then).
"""
import copy
import math
from array import array

_INF = math.inf


def next_up(x):
    if x != x or x == _INF:
        return x
    return math.nextafter(x, _INF)


def consistent_threshold(alarm, score, threshold):
    if alarm:
        return threshold if score < threshold else next_up(score)
    return score if score < threshold else threshold


def _to_list(xs, what):
    if not isinstance(xs, list) or len(xs) == 0:
        raise ValueError('calibration model %s is empty; run calibrate again' % what)
    out = []
    for i, x in enumerate(xs):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise ValueError('calibration model %s[%d] is not a finite number; run calibrate again' % (what, i))
        out.append(float(x))
    return out


def _optional(model, key, what, ok, expected):
    if key not in model or model.get(key) is None:
        return None
    x = model.get(key)
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or not ok(x):
        raise ValueError('calibration model %s must be %s; run calibrate again' % (what, expected))
    return float(x)


class _Model:
    def __init__(self, cal):
        kind = cal.get('kind')
        model = cal.get('model') or {}
        self.mean = _to_list(model.get('mean'), '%s.mean' % kind)
        self.sd = _to_list(model.get('sd'), '%s.sd' % kind)
        if len(self.mean) != len(self.sd):
            raise ValueError('calibration model %s: mean and sd differ in length' % kind)
        for i, s in enumerate(self.sd):
            if not (s > 0):
                raise ValueError('calibration model %s.sd[%d] must be > 0; run calibrate again' % (kind, i))
        h = cal.get('h')
        if isinstance(h, bool) or not isinstance(h, (int, float)) or not math.isfinite(h):
            raise ValueError('calibration %s.h is not a finite number; run calibrate again' % kind)
        self.h = float(h)
        self.last = len(self.mean) - 1
        drift = _optional(model, 'drift', '%s.drift' % kind, lambda v: True, 'a finite number')
        growth = _optional(model, 'growth', '%s.growth' % kind, lambda v: v >= 0, 'a finite number >= 0')
        tail_mean = _optional(model, 'tailMean', '%s.tailMean' % kind, lambda v: True, 'a finite number')
        tail_sd = _optional(model, 'tailSd', '%s.tailSd' % kind, lambda v: v > 0, 'a finite number > 0')
        self.drift = drift if drift is not None else 0.0
        self.growth = growth if growth is not None else 0.0
        self.tail_mean = tail_mean if tail_mean is not None else self.mean[self.last]
        self.tail_sd = tail_sd if tail_sd is not None else self.sd[self.last]


# Validated models by content. The engine sends the calibration with every episode command, and
# checking each entry of the model in Python cost ~4.5M instructions an episode for a 1,000-step
# model (~9k a step of a 500-step episode, as much as a sixth of a CartPole step). The key is made
# in C: the entries' exact doubles and the set of their types, so that a bool or a -0.0 never
# meets a cached 1.0 or 0.0.
_models = {}
_MODEL_FIELDS = ('drift', 'growth', 'tailMean', 'tailSd')
# The calibration a runner keeps (runner.py: the engine sends it once) is the same object in every
# episode's command: its model is found by identity first, without the content key (~40 us an
# episode for 500-step models). Nothing in the runner changes a calibration it was sent.
_last = [None, None]


def _validated(cal):
    if _last[0] is cal:
        return _last[1]
    m = _validated_by_content(cal)
    _last[0], _last[1] = cal, m
    return m


def _validated_by_content(cal):
    model = cal.get('model') or {}
    try:
        mean, sd = model.get('mean'), model.get('sd')
        key = (cal.get('kind'), repr(cal.get('h')), array('d', mean).tobytes(), array('d', sd).tobytes(),
               frozenset(map(type, mean)) | frozenset(map(type, sd)), tuple(repr(model.get(k)) for k in _MODEL_FIELDS))
    except (TypeError, ValueError, OverflowError):
        return _Model(cal)  # not lists of numbers: _Model says what is wrong
    m = _models.get(key)
    if m is None:
        m = _Model(cal)
        if len(_models) >= 8:
            _models.clear()
        _models[key] = m
    return m


class _Monitor:
    """A monitor's state lives in the cells of its `push` closure, built by reset() once per
    episode: a closure reading and writing its own variables runs fewer instructions than a method
    storing five attributes (counted: ~1.4k against ~1.7k a step for the fixed detector, 2.1-2.8k
    against 3.2-4.5k for the calibrated ones; docs/performance.md). `step`, `score`,
    `statistic` and `flagged_step` read those cells; `threshold`, which only the guard and the tests
    read (the engine computes its own), is derived from them on demand with the same operations
    push() used to do each step, so every value is the same to the bit."""

    # push()'s variables that are the episode's state (copy() copies them; the model is shared)
    _state = ('t', 's', 'flagged')

    def reset(self):
        self.push = self._stepper()
        self._cells = dict(zip(self.push.__code__.co_freevars, self.push.__closure__))

    def _get(self, name):
        return self._cells[name].cell_contents

    step = property(lambda self: self._get('t'))
    score = property(lambda self: self._get('s'))
    flagged_step = property(lambda self: self._get('flagged'))

    @property
    def threshold(self):
        t = self._get('t')
        return -_INF if t < 0 else self._threshold_at(t)

    def copy(self):
        """An independent monitor in the same state (the guard's look-ahead, fork snapshots)."""
        c = copy.copy(self)
        c.reset()
        for name in self._state:
            v = self._cells[name].cell_contents
            c._cells[name].cell_contents = list(v) if type(v) is list else v
        return c


class EnvelopeMonitor(_Monitor):
    kind = 'envelope'
    _state = ('t', 's', 'z', 'flagged')

    def __init__(self, cal):
        m = _validated(cal)
        self.mean, self.sd, self.last, self.h = m.mean, m.sd, m.last, m.h
        self.mean_last, self.sd_last = m.mean[m.last], m.sd[m.last]
        self.var_last = self.sd_last * self.sd_last
        self.drift, self.growth = m.drift, m.growth
        self.reset()

    def model_at(self, t):
        """(mean, sd) of S_t; beyond training S keeps its drift per step and its variance grows as it did."""
        if t <= self.last:
            return self.mean[t], self.sd[t]
        d = t - self.last
        return self.mean_last + self.drift * d, math.sqrt(self.var_last + self.growth * d) if self.growth > 0 else self.sd_last

    def _stepper(self):
        mean_at, sd_at, last, h, beyond = self.mean, self.sd, self.last, self.h, self.model_at
        t = -1
        s = 0.0
        z = 0.0
        flagged = -1

        def push(u):
            nonlocal t, s, z, flagged
            t += 1
            s += u
            if t <= last:
                z = (s - mean_at[t]) / sd_at[t]
            else:
                mean, sd = beyond(t)
                z = (s - mean) / sd
            if z < h:
                if flagged < 0:
                    flagged = t
                return True
            return False
        return push

    statistic = property(lambda self: self._get('z'))

    def _threshold_at(self, t):
        mean, sd = self.model_at(t)
        return consistent_threshold(self._get('z') < self.h, self._get('s'), mean + self.h * sd)


class _TailModelMonitor(_Monitor):
    """Window and CUSUM: a per-step (mean, sd) model, and past its end the tail of training's."""

    def _load(self, cal):
        m = _validated(cal)
        self.mean, self.sd, self.last, self.h = m.mean, m.sd, m.last, m.h
        self.tail_mean, self.tail_sd = m.tail_mean, m.tail_sd

    def model_at(self, t):
        """(mean, sd) of step t's window sum (window) or increment (CUSUM)."""
        return (self.tail_mean, self.tail_sd) if t > self.last else (self.mean[t], self.sd[t])


class WindowMonitor(_TailModelMonitor):
    """W_t = S_t - S_{t-w} (S_{-1} = 0 and earlier), from a ring of past S values."""
    kind = 'window'
    _state = ('t', 's', 'z', 'flagged', 'base', 'ring')

    def __init__(self, cal, window):
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError('window detector: window must be a positive integer, got %r' % (window,))
        self._load(cal)
        self.w = window
        self.reset()

    def _stepper(self):
        mean_at, sd_at, last, h, w = self.mean, self.sd, self.last, self.h, self.w
        tail_mean, tail_sd = self.tail_mean, self.tail_sd
        t = -1
        s = 0.0
        z = 0.0
        flagged = -1
        base = 0.0
        ring = [0.0] * w

        def push(u):
            nonlocal t, s, z, flagged, base
            t += 1
            s += u
            slot = t % w
            base = ring[slot] if t >= w else 0.0
            ring[slot] = s
            if t > last:
                z = (s - base - tail_mean) / tail_sd
            else:
                z = (s - base - mean_at[t]) / sd_at[t]
            if z < h:
                if flagged < 0:
                    flagged = t
                return True
            return False
        return push

    statistic = property(lambda self: self._get('z'))
    window_sum = property(lambda self: self._get('s') - self._get('base'))

    def _threshold_at(self, t):
        mean, sd = self.model_at(t)
        return consistent_threshold(self._get('z') < self.h, self._get('s'), self._get('base') + mean + self.h * sd)


class CusumMonitor(_TailModelMonitor):
    """Page's CUSUM for a downward shift: C_t = max(0, C_{t-1} - z_t - k)."""
    kind = 'cusum'
    _state = ('t', 's', 'c', 'prev_s', 'prev_c', 'flagged')

    def __init__(self, cal, k):
        if isinstance(k, bool) or not isinstance(k, (int, float)) or not math.isfinite(k) or k < 0:
            raise ValueError('cusum detector: k must be a finite number >= 0, got %r' % (k,))
        self._load(cal)
        self.k = float(k)
        self.reset()

    def _stepper(self):
        mean_at, sd_at, last, h, k = self.mean, self.sd, self.last, self.h, self.k
        tail_mean, tail_sd = self.tail_mean, self.tail_sd
        t = -1
        s = 0.0
        c = 0.0
        prev_s = 0.0
        prev_c = 0.0
        flagged = -1

        def push(u):
            nonlocal t, s, c, prev_s, prev_c, flagged
            t += 1
            prev_s = s
            prev_c = c
            s += u
            if t > last:
                x = prev_c - (u - tail_mean) / tail_sd - k
            else:
                x = prev_c - (u - mean_at[t]) / sd_at[t] - k
            c = x if x > 0 else 0.0
            if c > h:
                if flagged < 0:
                    flagged = t
                return True
            return False
        return push

    statistic = property(lambda self: self._get('c'))

    def _threshold_at(self, t):
        mu, sd = self.model_at(t)
        return consistent_threshold(self._get('c') > self.h, self._get('s'),
                                    self._get('prev_s') + mu + sd * (self._get('prev_c') - self.k - self.h))


class FixedMonitor(_Monitor):
    kind = 'fixed'

    def __init__(self, level):
        if isinstance(level, bool) or not isinstance(level, (int, float)) or level != level:
            raise ValueError('fixed detector: threshold must be a number')
        self.level = float(level)
        self.reset()

    def _stepper(self):
        level = self.level
        t = -1
        s = 0.0
        flagged = -1

        def push(u):
            nonlocal t, s, flagged
            t += 1
            s += u
            if s < level:
                if flagged < 0:
                    flagged = t
                return True
            return False
        return push

    statistic = _Monitor.score
    threshold = property(lambda self: self.level)


def create_monitor(config, calibration):
    kind = config.get('kind') if isinstance(config, dict) else None
    if kind == 'fixed':
        return FixedMonitor(config.get('threshold'))
    if kind not in ('envelope', 'window', 'cusum'):
        raise ValueError('unknown detector kind %r' % (kind,))
    if calibration is None:
        raise ValueError('the %s detector needs a calibration; run calibrate first or use a fixed threshold' % kind)
    cal = (calibration.get('detectors') or {}).get(kind)
    if not cal:
        raise ValueError('the calibration file has no model for the %s detector; run calibrate again' % kind)
    params = cal.get('params') or {}
    if kind == 'envelope':
        return EnvelopeMonitor(cal)
    if kind == 'window':
        fitted = params.get('window')
        if fitted is not None and fitted != config.get('window'):
            raise ValueError('the calibration was fitted for window %s, not %s; run calibrate again with window %s'
                             % (fitted, config.get('window'), config.get('window')))
        return WindowMonitor(cal, config.get('window'))
    fitted = params.get('k')
    if fitted is not None and fitted != config.get('k'):
        raise ValueError('the calibration was fitted for cusum k %s, not %s; run calibrate again with k %s'
                         % (fitted, config.get('k'), config.get('k')))
    return CusumMonitor(cal, config.get('k'))
