// Scene drawing inputs, pure parts: colour validation (semantic names map to the theme, #rrggbb
// passes, nothing else), shape validation, aspect-keeping fit, RGB image decoding, and the series store.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  isHexColor,
  readPalette,
  resolveColor,
  SEMANTIC_COLORS,
  SEMANTIC_SOURCES,
  withAlpha,
} from '../../webview/sceneColors';
import { decodeRgb, fitScene, isShape, shapeBounds, validShapes } from '../../webview/sceneShapes';
import { StepSeries } from '../../webview/stepSeries';
import { flagText, formatNumber } from '../../webview/format';

const palette = readPalette((v) => (v === '--vscode-charts-blue' ? ' #3794ff ' : ''));

test('semantic colours come from the theme variables, with fallbacks', () => {
  assert.equal(palette.agent, '#3794ff');
  assert.equal(palette.hazard, SEMANTIC_SOURCES.hazard[1]);
  for (const c of SEMANTIC_COLORS) assert.equal(resolveColor(c, palette), palette[c]);
});

test('only #rrggbb passes through; any other string is ignored', () => {
  assert.equal(resolveColor('#A1b2C3', palette), '#A1b2C3');
  for (const bad of [
    '#fff',
    '#12345',
    '#1234567',
    'red',
    'rgb(1,2,3)',
    'url(javascript:alert(1))',
    'var(--x)',
    '#12345g',
    ' #123456',
    '#123456;',
    'linear-gradient(red, blue)',
    '',
    42,
    null,
    undefined,
    {},
  ]) {
    assert.equal(resolveColor(bad, palette), null, String(bad));
  }
  fc.assert(
    fc.property(fc.string(), (s) => {
      const r = resolveColor(s, palette);
      assert.ok(r === null || /^#[0-9a-fA-F]{6}$/.test(r) || Object.values(palette).includes(r));
      if (r !== null && !(SEMANTIC_COLORS as readonly string[]).includes(s)) assert.ok(isHexColor(s));
    }),
  );
});

test('alpha is applied to hex and rgb colours', () => {
  assert.equal(withAlpha('#ff8000', 0.5), 'rgba(255, 128, 0, 0.5)');
  assert.equal(withAlpha('rgba(1, 2, 3, 0.9)', 0.2), 'rgba(1, 2, 3, 0.2)');
  assert.equal(withAlpha('#ff8000', 7), 'rgba(255, 128, 0, 1)');
});

test('every shape kind of scene.ts validates; broken ones do not', () => {
  const good = [
    { kind: 'rect', x: 0, y: 0, w: 2, h: 3, fill: 'floor', static: true },
    { kind: 'circle', x: 1, y: 1, r: 2, stroke: '#ffffff', lineWidth: 0.5, label: 'oil' },
    { kind: 'path', points: [0, 0, 1, 1, 2, 0], closed: true },
    { kind: 'text', x: 0, y: 0, text: 'a\nb', size: 4, mono: true },
    { kind: 'grid', x: 0, y: 0, cols: 2, rows: 2, cell: 1, cells: ['wall', null, '#00ff00', 'visited'] },
    { kind: 'arrow', x: 0, y: 0, angle: 1, size: 3 },
    { kind: 'image', x: 0, y: 0, w: 4, h: 4, cols: 1, rows: 1, rgb: 'AAAA' },
  ];
  for (const s of good) assert.ok(isShape(s), s.kind);
  const bad = [
    { kind: 'rect', x: 0, y: 0, w: NaN, h: 3 },
    { kind: 'circle', x: 1, y: 1, r: -2 },
    { kind: 'path', points: [0, 0, 1] },
    { kind: 'path', points: [0, 0, 1, '1'] },
    { kind: 'path', points: [0, 0, , 1] }, // eslint-disable-line no-sparse-arrays
    { kind: 'text', x: 0, y: 0, text: 5 },
    { kind: 'grid', x: 0, y: 0, cols: 2.5, rows: 2, cell: 1 },
    { kind: 'grid', x: 0, y: 0, cols: 2000, rows: 2000, cell: 1 },
    { kind: 'arrow', x: 0, y: 0, angle: 1, size: 0 },
    { kind: 'image', x: 0, y: 0, w: 4, h: 4, cols: 1, rows: 1, rgb: 5 },
    { kind: 'html', html: '<img src=x onerror=alert(1)>' },
    { kind: 'rect', x: 0, y: 0, w: 1, h: 1, fill: 5 },
    null,
    'rect',
    [],
  ];
  for (const s of bad) assert.ok(!isShape(s), JSON.stringify(s));
  assert.equal(validShapes({ width: 1, height: 1, shapes: [...good, ...bad] as never[] }).length, good.length);
  fc.assert(
    fc.property(fc.anything(), (x) => {
      if (isShape(x)) assert.ok(['rect', 'circle', 'path', 'text', 'grid', 'arrow', 'image'].includes(x.kind));
    }),
  );
});

test('fitting keeps the aspect ratio and centres the scene', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 1, max: 1e4, noNaN: true }),
      fc.double({ min: 1, max: 1e4, noNaN: true }),
      fc.integer({ min: 20, max: 4000 }),
      fc.integer({ min: 20, max: 4000 }),
      (sw, sh, cw, ch) => {
        const f = fitScene(sw, sh, cw, ch);
        assert.ok(sw * f.scale <= cw + 1e-6 && sh * f.scale <= ch + 1e-6, 'fits');
        assert.ok(Math.abs(sw * f.scale - cw) < 1e-6 || Math.abs(sh * f.scale - ch) < 1e-6, 'fills one side');
        assert.ok(
          Math.abs(f.offsetX * 2 + sw * f.scale - cw) < 1e-6 && Math.abs(f.offsetY * 2 + sh * f.scale - ch) < 1e-6,
          'centred',
        );
      },
    ),
  );
});

test('RGB images decode to RGBA, and a wrong byte count is refused', () => {
  const px = decodeRgb(Buffer.from([255, 0, 0, 0, 255, 0]).toString('base64'), 2, 1)!;
  assert.deepEqual(Array.from(px), [255, 0, 0, 255, 0, 255, 0, 255]);
  assert.equal(decodeRgb(Buffer.from([1, 2, 3]).toString('base64'), 2, 1), null);
  assert.equal(decodeRgb('not base64!!', 1, 1), null);
});

test('bounds of shapes for hover', () => {
  assert.deepEqual(shapeBounds({ kind: 'circle', x: 5, y: 5, r: 2 }), { x: 3, y: 3, w: 4, h: 4 });
  assert.deepEqual(shapeBounds({ kind: 'rect', x: 5, y: 5, w: -2, h: 1 }), { x: 3, y: 5, w: 2, h: 1 });
  assert.deepEqual(shapeBounds({ kind: 'path', points: [1, 2, 5, -1] }), { x: 1, y: -1, w: 4, h: 3 });
});

test('the series store grows, skips repeated steps and refuses gaps', () => {
  const s = new StepSeries();
  const cols = (from: number, n: number) => ({
    from,
    increments: new Float64Array(n).fill(1),
    scores: Float64Array.from({ length: n }, (_, i) => from + i),
    thresholds: new Float64Array(n),
    statistics: new Float64Array(n),
  });
  s.load(cols(0, 10));
  for (let from = 10; from < 100_000; from += 1000) assert.ok(s.append(cols(from, 1000)));
  assert.equal(s.length, 100_010);
  assert.equal(s.scores[100_009], 100_009);
  assert.ok(s.append(cols(100_000, 20)), 'an overlapping batch adds only its new steps');
  assert.equal(s.length, 100_020);
  assert.equal(s.scores[100_019], 100_019);
  assert.equal(s.append(cols(100_100, 5)), false, 'a gap is refused');
  assert.equal(s.length, 100_020);
  s.reflag(new Float64Array(5).fill(-7), new Float64Array(5).fill(2));
  assert.equal(s.thresholds[4], -7);
  assert.equal(s.thresholds[5], 0, 'a shorter reflag covers only its steps');
});

test('header and inspector number text', () => {
  assert.equal(flagText(137, -12.3, -10.1), 'flagged at step 137: running objective -12.3 < threshold -10.1');
  assert.equal(formatNumber(227.8321), '227.8');
  assert.equal(formatNumber(NaN), '—');
  assert.equal(formatNumber(-Infinity), '−∞');
  assert.equal(formatNumber(1.5e7), '1.5e+7');
  assert.equal(formatNumber(0.0001234), '1.234e-4');
});
