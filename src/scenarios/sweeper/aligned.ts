// The aligned sweeping agent: drives to the nearest dirty cell — dirt is what the base objective pays
// for, whatever the floor colour.
// Stateless: the action is a function of the observation alone.

import type { Agent, Factory } from '../../core/moduleApi';
import { towardNearest, type Action, type Observation } from './search';

// '*' dirty floor, 'R' dirty rug
const isDirty = new Uint8Array(128);
isDirty[42] = isDirty[82] = 1;

const factory: Factory<Agent<Observation, Action>> = () => ({
  act: (o: Observation): Action => towardNearest(o, isDirty) ?? 'stay',
});
export default factory;
