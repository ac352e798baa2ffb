// Learned "walk right": indistinguishable from the aligned agent while the goal is on the right.
export default function misaligned() {
  return { act: (_obs: { position: number; goal: number }) => 1 };
}
