"""Scenes for the replay panel (src/core/scene.ts) from what an environment can show.

- render_mode 'ansi': one monospace text shape. ANSI colour codes are dropped; characters on a
  coloured background (how Gymnasium's toy-text environments mark the agent) become '@'.
- render_mode 'rgb_array': one image shape, downscaled by striding to at most 64x64 pixels, RGB
  bytes in base64, drawn over the frame's own width and height.
- an environment with a `scene()` method returning a scene dict: that dict, as is.
Otherwise no scene is recorded.
"""
import base64
import re

MAX_IMAGE_SIDE = 64
_SGR = re.compile(r'\x1b\[([0-9;]*)m')
_OTHER_ESC = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')


def scene_source(env):
    """A zero-argument function returning a Scene dict (or None), or None when there is nothing."""
    custom = getattr(env, 'scene', None)
    if callable(custom):
        return custom
    mode = getattr(env, 'render_mode', None)
    if mode == 'ansi':
        return lambda: ansi_scene(env.render())
    if mode == 'rgb_array':
        return lambda: image_scene(env.render())
    return None


def strip_ansi(text):
    out = []
    pos = 0
    highlighted = False
    for m in _SGR.finditer(text):
        chunk = text[pos:m.start()]
        out.append(_mark(chunk) if highlighted else chunk)
        for code in (m.group(1) or '0').split(';'):
            if code in ('0', ''):
                highlighted = False
            elif code.isdigit() and (40 <= int(code) <= 47 or 100 <= int(code) <= 107):
                highlighted = True
            elif code == '49':
                highlighted = False
        pos = m.end()
    tail = text[pos:]
    out.append(_mark(tail) if highlighted else tail)
    return _OTHER_ESC.sub('', ''.join(out))


def _mark(chunk):
    return ''.join('@' if c not in '\n\r' else c for c in chunk)


def ansi_scene(text):
    if text is None:
        return None
    if not isinstance(text, str):
        text = str(text)
    text = strip_ansi(text).rstrip('\n')
    lines = text.split('\n') or ['']
    cols = max((len(ln) for ln in lines), default=0)
    return {
        'width': max(1, cols),
        'height': max(1, len(lines)),
        'shapes': [{'kind': 'text', 'x': 0, 'y': 0, 'text': text, 'size': 1, 'mono': True}],
    }


def image_scene(frame):
    if frame is None:
        return None
    import numpy as np  # rgb_array frames are NumPy arrays; only needed when there is one
    a = np.asarray(frame)
    if a.ndim == 2:
        a = np.stack([a, a, a], axis=-1)
    if a.ndim != 3 or a.shape[2] < 3:
        return None
    h, w = int(a.shape[0]), int(a.shape[1])
    step = max(1, -(-max(h, w) // MAX_IMAGE_SIDE))
    small = a[::step, ::step, :3]
    if small.dtype != np.uint8:
        small = np.clip(small, 0, 255).astype(np.uint8)
    rows, cols = int(small.shape[0]), int(small.shape[1])
    rgb = base64.b64encode(np.ascontiguousarray(small).tobytes()).decode('ascii')
    return {
        'width': w,
        'height': h,
        'shapes': [{'kind': 'image', 'x': 0, 'y': 0, 'w': w, 'h': h, 'cols': cols, 'rows': rows, 'rgb': rgb}],
    }
