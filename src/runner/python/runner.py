"""Objective Monitor's Python runner: the counterpart of the Node runner (src/runner/main.ts).

Started by the engine as `<python> -u runner.py` with fd 3 (records, child -> engine) and fd 4
(control, engine -> child); see src/core/wire.ts for the messages and omModules.py for what user
modules look like. One episode at a time; the process is reused across episodes.
"""
import os
import platform
import sys

sys.dont_write_bytecode = True  # never litter the user's folders with __pycache__

import omWire  # noqa: E402
from omDetectors import create_monitor  # noqa: E402
from omEpisode import run_episode, state  # noqa: E402
from omExitGuard import install_exit_guard  # noqa: E402


def main():
    try:
        wire = omWire.Wire()
    except OSError as exc:
        sys.stderr.write('objective-monitor runner: fds 3 and 4 must be the record and control pipes (%s)\n' % exc)
        return 64
    state.wire = wire
    install_exit_guard(state)
    wire.send({'t': 'hello', 'wire': omWire.WIRE_VERSION, 'runtime': 'python', 'pid': os.getpid(),
               'version': platform.python_version()})
    wire.start_threads()
    import json
    # (id, calibration) of the last calibration the engine sent: later commands name it by its id
    held = None
    while True:
        line = wire.next_command()
        try:
            cmd = json.loads(line)
        except ValueError as exc:
            sys.stderr.write('objective-monitor runner: bad control line: %s\n' % exc)
            return 65
        kind = cmd.get('t') if isinstance(cmd, dict) else None
        if kind == 'shutdown':
            return 0
        if kind != 'episode':
            sys.stderr.write('objective-monitor runner: unknown control message %r\n' % (kind,))
            return 65
        ref = cmd.get('heldCalibration')
        if ref is not None:
            if held is None or held[0] != ref:
                sys.stderr.write('objective-monitor runner: an episode command names calibration %s, which this '
                                 'runner was not sent\n' % json.dumps(ref))
                return 65
            cmd['calibration'] = held[1]
        elif cmd.get('calibrationId') is not None:
            held = (cmd['calibrationId'], cmd.get('calibration'))
        run_episode(cmd, create_monitor)


if __name__ == '__main__':
    # SystemExit from user code passes through run_episode after its records are flushed (see
    # omExitGuard): the process then ends with the code the user asked for.
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
