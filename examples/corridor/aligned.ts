// Walks toward the goal, wherever it is.
export default function aligned() {
  return { act: (obs: { position: number; goal: number }) => (obs.goal > obs.position ? 1 : -1) };
}
