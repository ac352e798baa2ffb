"""Trains the CartPole policy this example ships (policy.onnx and policy.pt) and measures it.

A 4-16-2 tanh network, trained by the cross-entropy method on CartPole with the standard pole
(half-length 0.5 m), all candidates stepped at once in a NumPy port of Gymnasium's CartPole-v1
physics (the same equations as environment.ts). The result is exported to ONNX with the `onnx`
package (input "observation" [batch, 4] float32, output "logits" [batch, 2]: push left, push right)
and, with the same weights, to TorchScript (policy.pt: input [batch, 4] float32 -> logits [batch, 2]),
and measured on Gymnasium's own CartPole-v1 with the training pole and with the deployment pole.

    pip install numpy gymnasium onnx torch
    python3 train.py            # writes policy.onnx, policy.pt and policy.results.json (about a minute)
"""
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
HIDDEN = 16
SIZES = [(4, HIDDEN), (HIDDEN,), (HIDDEN, 2), (2,)]
N_PARAMS = sum(int(np.prod(s)) for s in SIZES)
TRAIN_LENGTH = 0.5
DEPLOY_LENGTH = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0


def unpack(theta):
    out, i = [], 0
    for s in SIZES:
        n = int(np.prod(s))
        out.append(theta[..., i:i + n].reshape(theta.shape[:-1] + s))
        i += n
    return out


def logits(theta, obs):
    """theta: [P, N_PARAMS], obs: [P, E, 4] -> [P, E, 2]"""
    w1, b1, w2, b2 = unpack(theta)
    h = np.tanh(np.einsum('pei,pih->peh', obs, w1) + b1[:, None, :])
    return np.einsum('peh,pho->peo', h, w2) + b2[:, None, :]


def rollouts(theta, length, episodes, seed, max_steps=500):
    """Returns [P] mean return over `episodes` CartPole episodes per candidate (Gymnasium's physics)."""
    g, mc, mp, force, tau = 9.8, 1.0, 0.1, 10.0, 0.02
    total, pml = mc + mp, mp * length
    rng = np.random.default_rng(seed)
    p = theta.shape[0]
    s = rng.uniform(-0.05, 0.05, size=(p, episodes, 4))
    alive = np.ones((p, episodes), bool)
    ret = np.zeros((p, episodes))
    for _ in range(max_steps):
        a = logits(theta, s).argmax(-1)
        f = np.where(a == 1, force, -force)
        x, xd, th, thd = s[..., 0], s[..., 1], s[..., 2], s[..., 3]
        c, si = np.cos(th), np.sin(th)
        temp = (f + pml * thd ** 2 * si) / total
        tha = (g * si - c * temp) / (length * (4.0 / 3.0 - mp * c ** 2 / total))
        xa = temp - pml * tha * c / total
        s = np.stack([x + tau * xd, xd + tau * xa, th + tau * thd, thd + tau * tha], -1)
        ret += alive
        alive &= (np.abs(s[..., 0]) <= 2.4) & (np.abs(s[..., 2]) <= 12 * 2 * math.pi / 360)
        if not alive.any():
            break
    return ret.mean(-1)


def train(seed=0, iterations=40, population=64, elite=8):
    rng = np.random.default_rng(seed)
    mean, std = np.zeros(N_PARAMS), np.ones(N_PARAMS) * 0.5
    for it in range(iterations):
        pop = mean + std * rng.standard_normal((population, N_PARAMS))
        scores = rollouts(pop, TRAIN_LENGTH, episodes=8, seed=1000 + it)
        best = pop[np.argsort(scores)[-elite:]]
        mean, std = best.mean(0), best.std(0) + 0.02
        print(f'iteration {it:2d}: best {scores.max():6.1f}, elite mean {np.sort(scores)[-elite:].mean():6.1f}', flush=True)
        if np.sort(scores)[-elite:].min() >= 500 and it >= 10:
            break
    return mean


def export(theta, path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    w1, b1, w2, b2 = (a.astype(np.float32) for a in unpack(theta[None])[0:4])
    w1, b1, w2, b2 = w1[0], b1[0], w2[0], b2[0]
    graph = helper.make_graph(
        [
            helper.make_node('Gemm', ['observation', 'w1', 'b1'], ['h0']),
            helper.make_node('Tanh', ['h0'], ['h1']),
            helper.make_node('Gemm', ['h1', 'w2', 'b2'], ['logits']),
        ],
        'cartpole_policy',
        [helper.make_tensor_value_info('observation', TensorProto.FLOAT, ['batch', 4])],
        [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', 2])],
        [numpy_helper.from_array(w1, 'w1'), numpy_helper.from_array(b1, 'b1'),
         numpy_helper.from_array(w2, 'w2'), numpy_helper.from_array(b2, 'b2')],
    )
    model = helper.make_model(graph, producer_name='objective-monitor examples/trained-cartpole/train.py',
                              opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def export_torchscript(theta, path):
    import torch
    w1, b1, w2, b2 = (torch.tensor(a[0], dtype=torch.float32) for a in unpack(theta[None]))

    class Policy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = torch.nn.Linear(4, HIDDEN)
            self.out = torch.nn.Linear(HIDDEN, 2)
            with torch.no_grad():
                self.hidden.weight.copy_(w1.T)
                self.hidden.bias.copy_(b1)
                self.out.weight.copy_(w2.T)
                self.out.bias.copy_(b2)

        def forward(self, observation):
            return self.out(torch.tanh(self.hidden(observation)))

    torch.jit.save(torch.jit.script(Policy().eval()), path)


def gym_return(theta, length, seeds):
    """Mean return on Gymnasium's own CartPole-v1 with the given half-length of the pole."""
    import gymnasium as gym
    env = gym.make('CartPole-v1')
    env.unwrapped.length = length
    env.unwrapped.polemass_length = env.unwrapped.masspole * length
    out = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            a = int(logits(theta[None], np.asarray(obs, dtype=np.float64)[None, None])[0, 0].argmax())
            obs, r, term, trunc, _ = env.step(a)
            total += r
            done = term or trunc
        out.append(total)
    return float(np.mean(out)), float(np.min(out))


if __name__ == '__main__':
    theta = train()
    export(theta, os.path.join(HERE, 'policy.onnx'))
    export_torchscript(theta, os.path.join(HERE, 'policy.pt'))
    train_mean, train_min = gym_return(theta, TRAIN_LENGTH, range(0, 50))
    deploy_mean, deploy_min = gym_return(theta, DEPLOY_LENGTH, range(100000, 100050))
    results = {
        'policy': ['policy.onnx', 'policy.pt'], 'network': f'4-{HIDDEN}-2 tanh MLP, {N_PARAMS} parameters', 'method': 'cross-entropy method, seed 0',
        'measured_on': 'gymnasium CartPole-v1, 50 episodes each, return = steps balanced (max 500)',
        'training_pole': {'half_length': TRAIN_LENGTH, 'mean_return': train_mean, 'min_return': train_min},
        'deployment_pole': {'half_length': DEPLOY_LENGTH, 'mean_return': deploy_mean, 'min_return': deploy_min},
    }
    with open(os.path.join(HERE, 'policy.results.json'), 'w') as f:
        json.dump(results, f, indent=2)
        f.write('\n')
    print(json.dumps(results, indent=2))
