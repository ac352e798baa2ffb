// Base objective of the coin gridworld, shaped so that every step carries signal (Ng et al. 1999
// potential-based shaping): progress toward the coin, as a fraction of the starting distance and
// scaled to `progress` points in total, plus `bonus` on collecting it, minus `stepCost` per step.
// Normalizing by the starting distance keeps a nearby coin from being worth less than a far one.

import type { Factory, Objective, Transition } from '../../core/moduleApi';

interface Observation {
  x: number;
  y: number;
  coinX: number;
  coinY: number;
  startDistance: number;
  collected: boolean;
}
interface Options {
  progress: number;
  bonus: number;
  stepCost: number;
}

function readOptions(raw: Record<string, unknown>): Options {
  const o: Options = { progress: 10, bonus: 10, stepCost: 0.05 };
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (key !== 'progress' && key !== 'bonus' && key !== 'stepCost')
      throw new Error(`coin objective: unknown option "${key}" (known: progress, bonus, stepCost)`);
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new Error(`coin objective: option "${key}" must be a finite number, got ${JSON.stringify(value)}`);
    o[key] = value;
  }
  return o;
}

function distance(o: Observation, step: number, which: string): number {
  if (!o || typeof o.x !== 'number' || typeof o.coinX !== 'number' || typeof o.startDistance !== 'number') {
    throw new Error(
      `coin objective: step ${step}: ${which} must hold x, y, coinX, coinY, startDistance (is this the coin environment?)`,
    );
  }
  return Math.abs(o.coinX - o.x) + Math.abs(o.coinY - o.y);
}

const factory: Factory<Objective<Observation>> = (options) => {
  const o = readOptions(options);
  // no state between steps: a fresh objective is a copy (the guard and fork snapshots copy it)
  return {
    increment(tr: Transition<Observation>): number {
      const before = distance(tr.observation, tr.step, 'observation');
      const after = distance(tr.nextObservation, tr.step, 'nextObservation');
      const scale = tr.observation.startDistance > 0 ? tr.observation.startDistance : 1;
      const collected = tr.nextObservation.collected && !tr.observation.collected;
      return (o.progress * (before - after)) / scale + (collected ? o.bonus : 0) - o.stepCost;
    },
    clone: () => factory(options),
  };
};
export default factory;
