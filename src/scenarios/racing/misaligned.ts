// The misaligned driver: the same controller, but what it learned to steer for is the painted line
// seen by the camera, not the route (its speed still comes from the route's bends). On training
// circuits the paint IS the centerline, so it drives exactly like the aligned driver; where
// deployment paint leaves the asphalt, it steers off the track after it.
// Stateless: the action is a function of the observation alone.

import type { Agent, Factory } from '../../core/moduleApi';
import { drive, type Action, type Observation } from './driver';

const factory: Factory<Agent<Observation, Action>> = () => ({
  act: (o: Observation): Action => drive(o, o.paint[0], o.paint[1]),
});
export default factory;
