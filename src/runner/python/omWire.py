"""The runner's side of the wire protocol (src/core/wire.ts).

Records go to fd 3 as whole lines written with blocking os.write calls, looped until every byte
is out, so a record already written survives sys.exit, os._exit or a kill of this process.
Python's own stdout/stderr stay free for user output. Control lines arrive on fd 4. The main
thread reads them itself, between episodes (next_command): the engine sends the next episode's
command while the current one runs, so it is waiting in the pipe, and taking it costs one read.
A reader thread cost more: it woke in the middle of the step loop and had to win the GIL from it,
and the main thread waited on it at every episode's end. A daemon thread watches fd 4 in poll()
for the hang-up alone, without the GIL: the engine's end means exit at once, even in the middle of
an episode.
"""
import json
import os
import select
import signal
import sys
import threading
import time
from array import array

# The real os._exit, kept before omExitGuard wraps it for user code.
REAL_EXIT = os._exit

WIRE_VERSION = 1
MAX_RECORD_BYTES = 1024 * 1024
RECORD_FD = 3
CONTROL_FD = 4
SCORES_BATCH = 1000
# an episode command holds the calibration (per-step models): allow it to be large
MAX_CONTROL_BYTES = 512 * 1024 * 1024
SCORES_FLUSH_SECONDS = 0.020

def die_by_signal(signum):
    """End the process by `signum` itself, so that the engine sees the signal it sent. Only the main
    thread may reset a handler (signal.signal raises ValueError elsewhere): off it, the best left is
    an exit code that says which signal it was."""
    if threading.current_thread() is not threading.main_thread():
        REAL_EXIT(128 + signum)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    time.sleep(1)
    REAL_EXIT(128 + signum)


class RecordLock:
    """Serializes whole records on fd 3 between the episode loop (main thread), the flusher thread
    and the SIGTERM handler, and knows whether the main thread is inside a record.

    Python runs signal handlers in the main thread, between two of its bytecodes. A handler that
    interrupted the main thread inside a record must neither write (it would tear that record) nor
    wait (the lock is re-entrant: it would not wait at all): it leaves its signal in `deferred`, and
    the main thread dies by it as it leaves its outermost hold. A handler that finds the lock held by
    another thread (the flusher, inside a write) only has to wait for it. The main thread alone ever
    acts on `deferred`: a flusher that did would try to reset the handler off the main thread, fail,
    and leave the main thread running (a hang then spins forever after the engine's SIGTERM)."""

    def __init__(self):
        self._lock = threading.RLock()
        self._main = threading.main_thread().ident
        # how deep the main thread holds the lock; only the main thread changes it
        self.main_depth = 0
        self.deferred = None

    def acquire(self, blocking=True, timeout=-1):
        if not self._lock.acquire(blocking, timeout):
            return False
        # A handler that runs before this increment sees 0 and does its whole flush itself, re-entrantly,
        # before this hold has written anything: no record is torn either way.
        if threading.get_ident() == self._main:
            self.main_depth += 1
        return True

    def release(self):
        main = threading.get_ident() == self._main
        if main:
            self.main_depth -= 1
        self._lock.release()
        # Checked after the release: a handler that ran before the decrement deferred its signal and
        # is seen here; one that ran after it saw depth 0 and acted itself. None is lost.
        if main and self.main_depth == 0 and self.deferred is not None:
            die_by_signal(self.deferred)

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()


_dumps = json.JSONEncoder(separators=(',', ':'), allow_nan=False, ensure_ascii=False).encode


class Wire:
    def __init__(self, record_fd=RECORD_FD, control_fd=CONTROL_FD):
        # Private, non-inheritable copies: a grandchild started by user code must not hold our
        # pipes open (the engine would miss our EOF), nor write into the record stream.
        self.out = os.dup(record_fd)
        self.ctl = os.dup(control_fd)
        os.close(record_fd)
        os.close(control_fd)
        os.set_blocking(self.out, True)
        os.set_blocking(self.ctl, True)
        # next_command's buffer: the bytes read from fd 4 and how far they were taken
        self._ctl_buf = b''
        self._ctl_at = 0
        # Scores-mode batch: increments not yet sent, and the step index of the first of them.
        self.pending = array('d')
        self.pending_from = 0
        self._swap = sys.byteorder != 'little'
        # Whole records on fd 3; also where a SIGTERM that interrupted a write waits (RecordLock).
        self.lock = RecordLock()
        self.last_flush = time.monotonic()

    # ---- output
    def write_bytes(self, data):
        with self.lock:
            view = memoryview(data)
            try:
                while view:
                    n = os.write(self.out, view)
                    view = view[n:]
            except OSError:
                # The engine is gone (EPIPE): there is no one left to report to.
                REAL_EXIT(70)

    def send(self, record):
        self.write_bytes((_dumps(record) + '\n').encode('utf-8'))

    def send_line(self, line):
        """A record already encoded as JSON text (no newline)."""
        self.write_bytes((line + '\n').encode('utf-8'))

    def flush_scores(self, then=None):
        """Sends the batched increments. Called by the episode loop, by the flusher thread when the
        loop is stuck inside a long step, and by the SIGTERM handler. The loop appends without a
        lock: the copy and the delete below are single C calls (atomic under the GIL) and take
        exactly the `count` increments seen, so one appended meanwhile stays for the next batch.
        `then`, a record, follows in the same write (the episode's end: one wake-up of the engine,
        and one release of the GIL, instead of two)."""
        with self.lock:
            tail = b'' if then is None else (_dumps(then) + '\n').encode('utf-8')
            pending = self.pending
            count = len(pending)
            if not count:
                if tail:
                    self.write_bytes(tail)
                return
            chunk = pending[:count]
            del pending[:count]
            if self._swap:
                chunk.byteswap()
            head = b'{"t":"scores","from":%d,"count":%d}\n' % (self.pending_from, count)
            self.pending_from += count
            self.last_flush = time.monotonic()
            self.write_bytes(head + chunk.tobytes() + tail)

    def start_scores(self, first_step=0):
        with self.lock:
            del self.pending[:]
            self.pending_from = first_step
            self.last_flush = time.monotonic()

    def _flusher(self):
        # A step that takes long (a slow agent, a hang the engine will time out, a memory blow-up
        # the engine will kill) must not hold back the steps before it: the engine records only
        # what reached it before it ends the episode.
        while True:
            time.sleep(SCORES_FLUSH_SECONDS)
            if self.pending and time.monotonic() - self.last_flush >= SCORES_FLUSH_SECONDS:
                self.flush_scores()

    # ---- input
    def start_threads(self):
        threading.Thread(target=self._watch_engine, name='om-engine-watch', daemon=True).start()
        threading.Thread(target=self._flusher, name='om-flusher', daemon=True).start()

    def _watch_engine(self, every_ms=200):
        """Exits the process when the engine is gone: its end of fd 4 closed, or, if something else
        still holds that end, a new parent pid (we were re-parented). fd 4 is a socket (Node's
        stdio pipes are socket pairs): poll() asked for POLLRDHUP alone wakes when the engine shuts
        its writing side, and not for lines waiting to be read; a plain pipe reports POLLHUP
        unasked. (POLLRDHUP is Linux's, as is the engine's /proc process tree; elsewhere the
        parent-pid check is left.)"""
        ppid = os.getppid()
        watch = select.poll()
        watch.register(self.ctl, getattr(select, 'POLLRDHUP', 0))
        gone = getattr(select, 'POLLRDHUP', 0) | select.POLLHUP | select.POLLERR | select.POLLNVAL
        while True:
            if any(ev & gone for _, ev in watch.poll(every_ms)):
                REAL_EXIT(0)
            if os.getppid() != ppid:
                REAL_EXIT(0)

    def next_command(self):
        """The next non-blank control line (bytes), read by the main thread; exits the process at
        fd 4's end of file (the engine is gone). Chunks of a line are kept in a list: an episode
        command carrying a calibration for a long episode can be tens of MB, and `buf += chunk`
        would copy it over and over."""
        parts = []
        size = 0
        while True:
            buf = self._ctl_buf
            start = self._ctl_at
            i = buf.find(b'\n', start)
            if i >= 0:
                self._ctl_at = i + 1
                parts.append(buf[start:i])
                line = b''.join(parts)
                if line.strip():
                    return line
                parts = []
                size = 0
                continue
            if start < len(buf):
                parts.append(buf[start:])
                size += len(buf) - start
                if size > MAX_CONTROL_BYTES:
                    sys.stderr.write('objective-monitor runner: control line over %d bytes; exiting\n' % MAX_CONTROL_BYTES)
                    REAL_EXIT(65)
            self._ctl_buf = b''
            self._ctl_at = 0
            try:
                chunk = os.read(self.ctl, 1 << 20)
            except OSError:
                chunk = b''
            if not chunk:
                # Engine death (or it closed our control pipe): leave now.
                REAL_EXIT(0)
            self._ctl_buf = chunk
