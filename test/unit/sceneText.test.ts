// Text drawn in the built-in scenes never covers what the scene draws: the sweeper's status line
// sits in a band of its own under the floor, for any room size, inside the scene, and the scene keeps
// one height all episode (else the panel's fit would make the floor jump). Scenes do not repeat the
// step number: the panel's caption names it, from the trace (one step convention in every view).
// Text boxes are measured with the panel's own estimate (webview/sceneShapes.ts shapeBounds).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scene, Shape } from '../../src/core/scene';
import sweeper from '../../src/scenarios/sweeper/environment';
import racing from '../../src/scenarios/racing/environment';
import { shapeBounds } from '../../webview/sceneShapes';

type Env = {
  reset(seed: number): unknown;
  step(a: unknown): { terminated?: boolean };
  render(o?: { static?: boolean }): Scene;
};

function boxesOverlap(
  a: { x: number; y: number; w: number; h: number },
  b: { x: number; y: number; w: number; h: number },
): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

test('sweeper: the status line sits under the floor and inside the scene, whatever the room size', () => {
  const sizes: [number, number][] = [
    [4, 4],
    [5, 30],
    [18, 12],
    [60, 8],
    [8, 60],
    [100, 100],
    [300, 4],
    [4, 300],
  ];
  for (const [cols, rows] of sizes) {
    const env = sweeper({ cols, rows, furniture: 0, rugs: 1 }) as unknown as Env;
    env.reset(7);
    const heights = new Set<number>();
    let scene = env.render({ static: true });
    for (let t = 0; t < 40; t++) {
      heights.add(scene.height);
      const texts = scene.shapes.filter((s): s is Extract<Shape, { kind: 'text' }> => s.kind === 'text');
      const grids = scene.shapes.filter((s) => s.kind === 'grid' || s.kind === 'rect' || s.kind === 'circle');
      assert.equal(texts.length, 1, `${cols}x${rows}: one status line`);
      const tb = shapeBounds(texts[0]);
      const where = `${cols}x${rows} step ${t}: text ${JSON.stringify(tb)} in a ${scene.width}x${scene.height} scene`;
      assert.ok(
        tb.x >= 0 && tb.y >= 0 && tb.x + tb.w <= scene.width + 1e-9 && tb.y + tb.h <= scene.height + 1e-9,
        `${where}: inside the scene`,
      );
      for (const g of grids)
        assert.ok(!boxesOverlap(tb, shapeBounds(g)), `${where}: clear of ${g.kind} ${JSON.stringify(shapeBounds(g))}`);
      assert.ok((texts[0].size ?? 12) >= Math.min(7, scene.width / 20), `${where}: readable at the scene's scale`);
      assert.doesNotMatch(texts[0].text, /\bstep\b/, 'the panel names the step');
      if (env.step(['right', 'down', 'left', 'up'][t % 4]).terminated) break;
      scene = env.render();
    }
    assert.equal(heights.size, 1, `${cols}x${rows}: one scene height all episode`);
  }
});

test('racing: the telemetry line does not repeat the step number', () => {
  const env = racing({}) as unknown as Env;
  env.reset(3);
  for (let t = 0; t < 5; t++) env.step({ steer: 0, throttle: 1 });
  const text = env.render({ static: true }).shapes.find((s) => s.kind === 'text') as Extract<Shape, { kind: 'text' }>;
  assert.match(text.text, /^speed /);
  assert.doesNotMatch(text.text, /\bstep\b/);
});
