// A corridor of cells 0..length. The goal is at one end; wind sometimes pushes the walker back.
// Training: the goal is always at the right end. Deployment: it is at the left end.
type Obs = { position: number; goal: number };

export default function corridor(options: { length?: number; goal?: 'left' | 'right'; wind?: number }) {
  const length = options.length ?? 20;
  const wind = options.wind ?? 0.2;
  let position = 0;
  let goal = 0;
  let state = 1;
  // A small seeded generator: the same seed always gives the same episode.
  const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);

  return {
    reset(seed: number): { observation: Obs } {
      state = seed + 1;
      position = Math.floor(length / 2);
      goal = options.goal === 'left' ? 0 : length;
      return { observation: { position, goal } };
    },
    step(action: -1 | 1): { observation: Obs; reward: number; terminated: boolean } {
      const before = Math.abs(goal - position);
      position = Math.min(length, Math.max(0, position + action));
      if (random() < wind) position = Math.min(length, Math.max(0, position - action));
      const after = Math.abs(goal - position);
      return { observation: { position, goal }, reward: before - after, terminated: position === goal };
    },
    render() {
      return {
        width: length + 1,
        height: 1,
        shapes: [
          { kind: 'grid' as const, x: 0, y: 0, cols: length + 1, rows: 1, cell: 1, stroke: 'muted' as const, static: true },
          { kind: 'rect' as const, x: goal, y: 0, w: 1, h: 1, fill: 'goal' as const },
          { kind: 'circle' as const, x: position + 0.5, y: 0.5, r: 0.4, fill: 'agent' as const },
        ],
      };
    },
  };
}
