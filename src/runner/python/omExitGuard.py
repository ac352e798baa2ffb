"""User code that calls os._exit or os.abort, or whose process is sent SIGTERM (the engine's step
timeout), would take the runner down with increments still batched. These hooks flush them, and
for a deliberate exit report an ErrorRecord naming the caller's file:line, before the process ends
as asked; the engine then classifies the exit. sys.exit raises SystemExit, which the episode loop
handles the same way (omEpisode).
"""
import os
import signal
import sys

from omErrors import is_user_file
from omWire import REAL_EXIT, die_by_signal

REAL_ABORT = os.abort
# How long a SIGTERM waits for a write of the flusher thread before ending the process anyway
# (the engine's step timeout expects the runner gone within 2 s).
TERM_FLUSH_WAIT = 1.0


def caller_place(depth=2):
    """(file, line) of the innermost user frame calling us."""
    f = sys._getframe(depth)
    while f is not None:
        if is_user_file(f.f_code.co_filename):
            return os.path.abspath(f.f_code.co_filename), f.f_lineno
        f = f.f_back
    return None, None


def current_phase(state):
    """The episode loop keeps its phase in a local variable (no per-step attribute stores): read it
    from the loop's frame."""
    f = sys._getframe(1)
    while f is not None:
        loc = f.f_locals if f.f_code in state.loop_codes else None
        if loc is not None and 'phase' in loc:
            return loc['phase']
        f = f.f_back
    return state.phase


def report(state, message, file=None, line=None):
    """Flush batched increments and report an error for the episode in progress, once."""
    wire = state.wire
    if wire is None:
        return
    # User code never runs inside a write, so waiting for the lock (held by the flusher thread
    # at most for one write) cannot deadlock or tear a record.
    if not wire.lock.acquire(timeout=2):
        return
    try:
        wire.flush_scores()
        episode_id = state.episode_id
        if episode_id is not None:
            state.episode_id = None
            err = {'message': message, 'phase': current_phase(state)}
            if file:
                err['file'] = file
                if line:
                    err['line'] = line
            wire.send({'t': 'error', 'episodeId': episode_id, 'error': err, 'fatal': True})
    except Exception:  # exiting is all that is left
        pass
    finally:
        wire.lock.release()


def install_exit_guard(state):
    def guarded_exit(code=0):
        file, line = caller_place()
        report(state, 'user code called os._exit(%r)' % (code,), file, line)
        REAL_EXIT(code)

    def guarded_abort():
        file, line = caller_place()
        report(state, 'user code called os.abort()', file, line)
        REAL_ABORT()

    def on_term(signum, frame):
        wire = state.wire
        if wire is None:
            die_by_signal(signum)
        lock = wire.lock
        if lock.main_depth:
            # the main thread was inside a record: it dies by this signal once the record is out
            lock.deferred = signum
            return
        # The flusher thread may be inside a write: wait for it, bounded, since a write blocked on
        # a full pipe (an engine that stopped reading) must not keep the process from ending.
        if lock.acquire(timeout=TERM_FLUSH_WAIT):
            try:
                wire.flush_scores()
            finally:
                lock.release()
        die_by_signal(signum)

    os._exit = guarded_exit
    os.abort = guarded_abort
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
