"""User errors as ErrorRecord payloads (src/core/traceFormat.ts UserError): a message, the
traceback, and the place in the user's own source — the innermost frame that is not in the runner,
the standard library or an installed package. A SyntaxError points at the offending file:line:col.
"""
import os
import sys
import sysconfig
import traceback

_RUNNER_DIR = os.path.dirname(os.path.abspath(__file__))


def _library_roots():
    roots = set()
    for key in ('stdlib', 'platstdlib', 'purelib', 'platlib'):
        p = sysconfig.get_paths().get(key)
        if p:
            roots.add(os.path.realpath(p))
    for p in sys.path:
        if p and ('site-packages' in p or 'dist-packages' in p):
            roots.add(os.path.realpath(p))
    return tuple(r.rstrip(os.sep) + os.sep for r in roots)


_LIB_ROOTS = None


def is_user_file(filename):
    global _LIB_ROOTS
    if not filename or filename.startswith('<'):
        return False
    if _LIB_ROOTS is None:
        _LIB_ROOTS = _library_roots()
    real = os.path.realpath(filename)
    if real.startswith(_RUNNER_DIR + os.sep):
        return False
    return not real.startswith(_LIB_ROOTS)


def user_error(exc, phase, message=None):
    err = {
        'message': message or _message(exc),
        'phase': phase,
    }
    stack = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    err['stack'] = _trim_runner_frames(stack)
    syntax = _syntax_place(exc)
    place = syntax or _innermost_user_frame(exc)
    if syntax and not message:
        # as compilers print it, so terminals and editors make it a link: file:line:col: message
        err['message'] = '%s:%s:%s: %s: %s' % (syntax[0], syntax[1], syntax[2] or 1, type(exc).__name__, exc.msg)
    if place:
        err['file'], line, col = place
        if line is not None:
            err['line'] = line
        if col is not None:
            err['column'] = col
    return err


def plain_error(message, phase, file=None, line=None):
    err = {'message': message, 'phase': phase}
    if file:
        err['file'] = file
        if line:
            err['line'] = line
    return err


def _message(exc):
    text = str(exc)
    name = type(exc).__name__
    return '%s: %s' % (name, text) if text else name


def _syntax_place(exc):
    if isinstance(exc, SyntaxError) and exc.filename and is_user_file(exc.filename):
        return (os.path.abspath(exc.filename), exc.lineno, exc.offset)
    return None


def _innermost_user_frame(exc):
    found = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        fn = frame.f_code.co_filename
        if is_user_file(fn):
            found = (os.path.abspath(fn), lineno, None)
    # An error raised while importing a module (its __cause__/__context__) may carry the place.
    if found is None:
        inner = exc.__cause__ or exc.__context__
        if inner is not None and inner is not exc:
            found = _syntax_place(inner) or _innermost_user_frame(inner)
    return found


def _trim_runner_frames(stack):
    """Drop the runner's own frames from the top of the traceback: users care about theirs."""
    lines = stack.splitlines(keepends=True)
    out = []
    skip = False
    for ln in lines:
        if ln.startswith('  File "'):
            fn = ln[len('  File "'):].split('"', 1)[0]
            skip = os.path.realpath(fn).startswith(_RUNNER_DIR + os.sep) or fn.startswith('<frozen importlib')
            if skip:
                continue
        elif skip and ln.startswith('    '):
            continue
        else:
            skip = False
        out.append(ln)
    return ''.join(out)
