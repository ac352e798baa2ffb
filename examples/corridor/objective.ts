// The base objective: cells of progress toward the goal, minus a small cost per step.
type Obs = { position: number; goal: number };
export default function progress(options: { stepCost?: number }) {
  const stepCost = options.stepCost ?? 0.05;
  return {
    increment(t: { observation: Obs; nextObservation: Obs }) {
      const before = Math.abs(t.observation.goal - t.observation.position);
      const after = Math.abs(t.nextObservation.goal - t.nextObservation.position);
      return before - after - stepCost;
    },
  };
}
