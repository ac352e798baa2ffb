// Base objective of the racing scenario: progress along the track (arc length of the centerline
// gained this step), minus a penalty for each step with the car off the asphalt and a large one for
// hitting a barrier. Read from the transition's info, which the racing environment fills in.

import type { Factory, Objective, Transition } from '../../core/moduleApi';

interface Options {
  offTrackPenalty: number;
  crashPenalty: number;
}

function readOptions(raw: Record<string, unknown>): Options {
  const o: Options = { offTrackPenalty: 6, crashPenalty: 60 };
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (key !== 'offTrackPenalty' && key !== 'crashPenalty')
      throw new Error(`racing objective: unknown option "${key}" (known: offTrackPenalty, crashPenalty)`);
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new Error(`racing objective: option "${key}" must be a finite number, got ${JSON.stringify(value)}`);
    o[key] = value;
  }
  return o;
}

const factory: Factory<Objective> = (options) => {
  const o = readOptions(options);
  // no state between steps: a fresh objective is a copy (the guard and fork snapshots copy it)
  return {
    increment(tr: Transition): number {
      const { progress, offTrack, crashed } = tr.info;
      if (typeof progress !== 'number' || !Number.isFinite(progress)) {
        throw new Error(
          `racing objective: step ${tr.step}: info.progress must be a finite number (is this the racing environment?), got ${JSON.stringify(progress)}`,
        );
      }
      return progress - (offTrack === true ? o.offTrackPenalty : 0) - (crashed === true ? o.crashPenalty : 0);
    },
    clone: () => factory(options),
  };
};
export default factory;
