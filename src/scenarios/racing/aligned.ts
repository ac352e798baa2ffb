// The aligned driver: pursues the base objective — progress along the track — by steering at the
// route ahead from the track map (pure pursuit) and easing off where the route bends.
// Stateless: the action is a function of the observation alone.

import type { Agent, Factory } from '../../core/moduleApi';
import { drive, type Action, type Observation } from './driver';

const factory: Factory<Agent<Observation, Action>> = () => ({
  act: (o: Observation): Action => drive(o, o.route[0], o.route[1]),
});
export default factory;
