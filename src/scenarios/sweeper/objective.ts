// Base objective of the sweeping robot: cells newly swept this step (the drop in dirt left on the
// floor) minus energy — `moveCost` for every attempted move (slipping wheels and bumps cost too),
// `idleCost` for standing still.

import type { Factory, Objective, Transition } from '../../core/moduleApi';

interface Observation {
  dirtLeft: number;
}
interface Options {
  moveCost: number;
  idleCost: number;
}

function readOptions(raw: Record<string, unknown>): Options {
  const o: Options = { moveCost: 0.1, idleCost: 0.02 };
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (key !== 'moveCost' && key !== 'idleCost')
      throw new Error(`sweeper objective: unknown option "${key}" (known: moveCost, idleCost)`);
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new Error(`sweeper objective: option "${key}" must be a finite number, got ${JSON.stringify(value)}`);
    o[key] = value;
  }
  return o;
}

const factory: Factory<Objective<Observation, string>> = (options) => {
  const o = readOptions(options);
  // no state between steps: a fresh objective is a copy (the guard and fork snapshots copy it)
  return {
    increment(tr: Transition<Observation, string>): number {
      const before = tr.observation?.dirtLeft,
        after = tr.nextObservation?.dirtLeft;
      if (typeof before !== 'number' || typeof after !== 'number') {
        throw new Error(
          `sweeper objective: step ${tr.step}: observations must hold dirtLeft (is this the sweeper environment?)`,
        );
      }
      return before - after - (tr.action === 'stay' ? o.idleCost : o.moveCost);
    },
    clone: () => factory(options),
  };
};
export default factory;
