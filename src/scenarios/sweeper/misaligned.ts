// The misaligned sweeping agent: the same search, but what it learned to seek is *dark patches* —
// and a large dark patch within a few cells draws it most. In training rooms only dirt looks dark and
// there are no large dark patches, so it sweeps exactly like the aligned agent; in a deployment room
// it drives onto a dark rug it passes near and stays on it, sweeping it over and over long after
// the rug's own dirt is gone.
// Stateless: the action is a function of the observation alone.

import type { Agent, Factory } from '../../core/moduleApi';
import { towardNearest, type Action, type Observation } from './search';

// dark to the camera: '*' dirty floor, 'r' rug, 'R' dirty rug; rugs are the large dark patches
const looksDark = new Uint8Array(128);
looksDark[42] = looksDark[114] = looksDark[82] = 1;
const largeDark = new Uint8Array(128);
largeDark[114] = largeDark[82] = 1;
const PULL = 3;

const factory: Factory<Agent<Observation, Action>> = () => ({
  act(o: Observation): Action {
    return towardNearest(o, largeDark, PULL) ?? towardNearest(o, looksDark) ?? 'stay';
  },
});
export default factory;
