"""The runner's side of the wire protocol (src/core/wire.ts).

Records go to fd 3 as whole lines written with blocking os.write calls, looped until every byte
is out, so a record already written survives sys.exit, os._exit or a kill of this process.
Python's own stdout/stderr stay free for user output. Control lines arrive on fd 4 and are read
by a daemon thread: its EOF means the engine is gone, and the runner then exits at once even in
the middle of an episode.
"""
import json
import os
import queue
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
    """End the process by `signum` itself, so that the engine sees the signal it sent."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    time.sleep(1)
    REAL_EXIT(128 + signum)


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
        self.commands = queue.Queue()
        # Scores-mode batch: increments not yet sent, and the step index of the first of them.
        self.pending = array('d')
        self.pending_from = 0
        self._swap = sys.byteorder != 'little'
        # True while a record is being written: a signal handler that runs between two partial
        # writes must not start a record of its own (it would tear this one). It leaves its
        # signal in `exit_signal` instead, acted on when the write is done.
        self.busy = False
        self.exit_signal = None
        # Serializes whole records on fd 3 between the episode loop and the flusher thread.
        self.lock = threading.RLock()
        self.last_flush = time.monotonic()

    # ---- output
    def write_bytes(self, data):
        with self.lock:
            self.busy = True
            view = memoryview(data)
            try:
                while view:
                    n = os.write(self.out, view)
                    view = view[n:]
            except OSError:
                # The engine is gone (EPIPE): there is no one left to report to.
                REAL_EXIT(70)
            self.busy = False
        if self.exit_signal is not None:
            die_by_signal(self.exit_signal)

    def send(self, record):
        self.write_bytes((_dumps(record) + '\n').encode('utf-8'))

    def send_line(self, line):
        """A record already encoded as JSON text (no newline)."""
        self.write_bytes((line + '\n').encode('utf-8'))

    def flush_scores(self):
        """Sends the batched increments. Called by the episode loop, by the flusher thread when the
        loop is stuck inside a long step, and by the SIGTERM handler. The loop appends without a
        lock: the copy and the delete below are single C calls (atomic under the GIL) and take
        exactly the `count` increments seen, so one appended meanwhile stays for the next batch."""
        with self.lock:
            pending = self.pending
            count = len(pending)
            if not count:
                return
            chunk = pending[:count]
            del pending[:count]
            if self._swap:
                chunk.byteswap()
            head = b'{"t":"scores","from":%d,"count":%d}\n' % (self.pending_from, count)
            self.pending_from += count
            self.last_flush = time.monotonic()
            self.write_bytes(head + chunk.tobytes())

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
    def start_reader(self):
        threading.Thread(target=self._read_loop, name='om-control', daemon=True).start()
        threading.Thread(target=self._watch_parent, name='om-parent', daemon=True).start()
        threading.Thread(target=self._flusher, name='om-flusher', daemon=True).start()

    def _watch_parent(self, every=0.2):
        # fd 4 EOF normally says the engine is gone; if something else still holds its end of the
        # pipe, a new parent pid (we were re-parented) says it too.
        ppid = os.getppid()
        while True:
            time.sleep(every)
            if os.getppid() != ppid:
                REAL_EXIT(0)

    def _read_loop(self):
        # Chunks of the current line are kept in a list: an episode command carrying a calibration
        # for a long episode can be tens of MB, and `buf += chunk` would copy it over and over.
        parts = []
        size = 0
        while True:
            try:
                chunk = os.read(self.ctl, 1 << 20)
            except InterruptedError:
                continue
            except OSError:
                chunk = b''
            if not chunk:
                # Engine death (or it closed our control pipe): leave now, whatever user code does.
                REAL_EXIT(0)
            start = 0
            while True:
                i = chunk.find(b'\n', start)
                if i < 0:
                    break
                parts.append(chunk[start:i])
                line = b''.join(parts)
                parts = []
                size = 0
                if line.strip():
                    self.commands.put(line)
                start = i + 1
            if start < len(chunk):
                parts.append(chunk[start:])
                size += len(chunk) - start
                if size > MAX_CONTROL_BYTES:
                    sys.stderr.write('objective-monitor runner: control line over %d bytes; exiting\n' % MAX_CONTROL_BYTES)
                    REAL_EXIT(65)
