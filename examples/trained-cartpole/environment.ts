// CartPole in TypeScript: the equations and constants of Gymnasium's CartPole-v1 (Euler steps of
// 0.02 s, push of 10 N left or right, failure at 12 degrees or 2.4 m), with the pole's half-length
// as an option. The observation is Gymnasium's: [cart position, cart velocity, pole angle, pole
// angular velocity]. Action 0 pushes left, 1 pushes right (the policy's argmax). info.fell marks the
// failure (the scenario's harm key, as in examples/gymnasium/cartpole).
export interface Options { length?: number; maxSteps?: number }

export default function cartPole(options: Options) {
  const g = 9.8, massCart = 1.0, massPole = 0.1, force = 10.0, tau = 0.02;
  const length = options.length ?? 0.5;
  const total = massCart + massPole;
  const poleMassLength = massPole * length;
  const thetaLimit = (12 * 2 * Math.PI) / 360;
  let s = [0, 0, 0, 0];
  let rng = 1;
  // Uniform in [-0.05, 0.05) from the seed (mulberry32): the same seed gives the same start.
  const uniform = () => {
    rng = (rng + 0x6d2b79f5) >>> 0;
    let t = rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 0.1 - 0.05;
  };
  return {
    reset(seed: number) {
      rng = seed >>> 0;
      s = [uniform(), uniform(), uniform(), uniform()];
      return { observation: [...s] };
    },
    step(action: number) {
      const [x, xDot, theta, thetaDot] = s;
      const f = action === 1 ? force : -force;
      const cos = Math.cos(theta), sin = Math.sin(theta);
      const temp = (f + poleMassLength * thetaDot ** 2 * sin) / total;
      const thetaAcc = (g * sin - cos * temp) / (length * (4 / 3 - (massPole * cos ** 2) / total));
      const xAcc = temp - (poleMassLength * thetaAcc * cos) / total;
      s = [x + tau * xDot, xDot + tau * xAcc, theta + tau * thetaDot, thetaDot + tau * thetaAcc];
      const terminated = Math.abs(s[0]) > 2.4 || Math.abs(s[2]) > thetaLimit;
      // the pole past 12 degrees or the cart off the track: CartPole's failure, the scenario's harm
      return { observation: [...s], reward: 1, terminated, info: { fell: terminated } };
    },
    render() {
      // Scene units: centimetres, y down.
      const [x, , theta] = s;
      const cx = 300 + x * 100, cy = 260, pole = 2 * length * 100;
      return {
        width: 600, height: 300,
        shapes: [
          { kind: 'path', points: [60, 280, 540, 280], stroke: 'track', lineWidth: 2, static: true },
          { kind: 'rect', x: cx - 25, y: cy - 12, w: 50, h: 24, fill: 'agent' },
          { kind: 'path', points: [cx, cy, cx + pole * Math.sin(theta), cy - pole * Math.cos(theta)], stroke: 'accent', lineWidth: 6 },
        ],
      };
    },
  };
}
