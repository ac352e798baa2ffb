"""A PyTorch policy as the agent of a Python scenario: `"agent": {"module": "./policy.pt", "options": {...}}`
names a TorchScript file (torch.jit.save). It is loaded once per runner (cached by path and file
stamp) and shared by every episode, in eval mode, run under torch.no_grad. Options, as for ONNX
agents: "observation" (keys of a dict observation, in order; default: every number, flattened),
"actions" ("argmax" by default, "continuous" for the output vector, or a list indexed by the argmax).
A module with make(**options) that builds a torch policy works as any Python agent module; load its
weights at module level so that they too are loaded once per runner.
"""
import os

from omModules import LoadError

TORCH_EXTENSIONS = ('.pt', '.pth', '.torchscript')
_KNOWN = ('observation', 'actions')
_models = {}


def is_torch_file(path):
    return path.lower().endswith(TORCH_EXTENSIONS)


def _fail(path, message):
    raise LoadError({'message': '%s: %s' % (path, message), 'phase': 'load', 'file': path})


def _load(path):
    try:
        import torch
    except ImportError as exc:
        _fail(path, 'a PyTorch agent needs torch, which is not installed for this interpreter: pip install torch (%s)' % exc)
    if not os.path.isfile(path):
        _fail(path, 'no such TorchScript file')
    st = os.stat(path)
    key = os.path.realpath(path)
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _models.get(key)
    if hit is not None and hit[0] == stamp:
        return torch, hit[1]
    try:
        model = torch.jit.load(path, map_location='cpu')
    except Exception as exc:  # noqa: BLE001 — any load failure is the user's file
        _fail(path, 'not a TorchScript file (save the policy with torch.jit.save(torch.jit.script(model), path)): %s' % str(exc).splitlines()[0])
    model.eval()
    _models[key] = (stamp, model)
    return torch, model


def _flatten(path, value, where, out):
    if isinstance(value, bool):
        out.append(1.0 if value else 0.0)
    elif isinstance(value, (int, float)):
        out.append(float(value))
    elif isinstance(value, dict):
        for k, v in value.items():
            _flatten(path, v, '%s.%s' % (where, k), out)
    elif hasattr(value, 'tolist') and not isinstance(value, (str, bytes)):
        _flatten(path, value.tolist(), where, out)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _flatten(path, v, '%s[%d]' % (where, i), out)
    else:
        raise ValueError('%s: %s is %s; the observation must hold numbers (or name them with options.observation)'
                         % (path, where, type(value).__name__))


def _dig(value, dotted):
    cur = value
    for part in dotted.split('.'):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, (list, tuple)) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        elif hasattr(cur, 'tolist') and part.isdigit():
            cur = cur.tolist()[int(part)]
        else:
            return None
    return cur


class TorchAgent:
    def __init__(self, path, options):
        for k in options:
            if k not in _KNOWN:
                _fail(path, 'agent options: unknown option "%s" (expected %s)' % (k, ', '.join(_KNOWN)))
        self.path = path
        self.keys = options.get('observation')
        self.actions = options.get('actions', 'argmax')
        if self.keys is not None and not (isinstance(self.keys, list) and self.keys and all(isinstance(k, str) and k for k in self.keys)):
            _fail(path, 'agent options: "observation" must be a list of the observation\'s keys to feed, in order')
        if not (self.actions in ('argmax', 'continuous') or (isinstance(self.actions, list) and self.actions)):
            _fail(path, 'agent options: "actions" must be "argmax", "continuous", or a list of actions indexed by the argmax')
        self.torch, self.model = _load(path)

    def act(self, observation, info=None):
        torch = self.torch
        values = []
        if self.keys is not None:
            for k in self.keys:
                v = _dig(observation, k)
                if v is None:
                    raise ValueError('%s: options.observation names "%s", which the observation does not have' % (self.path, k))
                _flatten(self.path, v, k, values)
        else:
            _flatten(self.path, observation, 'observation', values)
        x = torch.tensor([values], dtype=torch.float32)
        with torch.no_grad():
            try:
                y = self.model(x)
            except Exception as exc:  # noqa: BLE001 — a shape mismatch surfaces here
                raise ValueError('%s: the model rejected an input of shape [1, %d] (the observation flattened to %d numbers): %s'
                                 % (self.path, len(values), len(values), str(exc).strip().splitlines()[-1])) from None
        out = y.reshape(-1).tolist()
        if self.actions == 'continuous':
            return out
        best = max(range(len(out)), key=out.__getitem__)
        if isinstance(self.actions, list):
            if len(self.actions) != len(out):
                raise ValueError('%s: the model\'s output has %d values but options.actions lists %d actions'
                                 % (self.path, len(out), len(self.actions)))
            return self.actions[best]
        return best
