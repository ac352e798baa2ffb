// Shape validation and scene geometry, pure. The renderer draws only shapes that pass `isShape`
// and skips the rest (a newer environment may send kinds this panel does not know).

import type { Scene, Shape } from '../src/core/scene';

const MAX_POINTS = 200_000;
const MAX_CELLS = 1_000_000;
const MAX_TEXT = 100_000;
const MAX_IMAGE_PIXELS = 4_000_000;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
const fin = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const pos = (x: unknown): x is number => fin(x) && x > 0;
/** index by index: Array.every skips holes */
function allFinite(a: unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (!fin(a[i])) return false;
  return true;
}
const optStr = (x: unknown) => x === undefined || typeof x === 'string';
const optFin = (x: unknown) => x === undefined || fin(x);

export function isShape(x: unknown): x is Shape {
  if (!isRecord(x)) return false;
  if (!optStr(x.fill) || !optStr(x.stroke) || !optStr(x.label) || !optFin(x.lineWidth)) return false;
  if (x.static !== undefined && typeof x.static !== 'boolean') return false;
  switch (x.kind) {
    case 'rect':
      return fin(x.x) && fin(x.y) && fin(x.w) && fin(x.h);
    case 'circle':
      return fin(x.x) && fin(x.y) && fin(x.r) && x.r >= 0;
    case 'path':
      return (
        Array.isArray(x.points) &&
        x.points.length % 2 === 0 &&
        x.points.length <= MAX_POINTS &&
        allFinite(x.points) &&
        (x.closed === undefined || typeof x.closed === 'boolean')
      );
    case 'text':
      return (
        fin(x.x) &&
        fin(x.y) &&
        typeof x.text === 'string' &&
        x.text.length <= MAX_TEXT &&
        (x.size === undefined || pos(x.size)) &&
        (x.mono === undefined || typeof x.mono === 'boolean')
      );
    case 'grid':
      return (
        fin(x.x) &&
        fin(x.y) &&
        Number.isInteger(x.cols) &&
        Number.isInteger(x.rows) &&
        (x.cols as number) > 0 &&
        (x.rows as number) > 0 &&
        (x.cols as number) * (x.rows as number) <= MAX_CELLS &&
        pos(x.cell) &&
        (x.cells === undefined || (Array.isArray(x.cells) && x.cells.length <= (x.cols as number) * (x.rows as number)))
      );
    case 'arrow':
      return fin(x.x) && fin(x.y) && fin(x.angle) && pos(x.size);
    case 'image':
      return (
        fin(x.x) &&
        fin(x.y) &&
        fin(x.w) &&
        fin(x.h) &&
        Number.isInteger(x.cols) &&
        Number.isInteger(x.rows) &&
        (x.cols as number) > 0 &&
        (x.rows as number) > 0 &&
        (x.cols as number) * (x.rows as number) <= MAX_IMAGE_PIXELS &&
        typeof x.rgb === 'string'
      );
    default:
      return false;
  }
}

/** The drawable shapes of a scene, in order. */
export function validShapes(scene: Scene): Shape[] {
  return Array.isArray(scene.shapes) ? scene.shapes.filter(isShape) : [];
}

export interface Fit {
  scale: number;
  offsetX: number;
  offsetY: number;
}

/** Scale and centre a width x height scene into a canvas, keeping its aspect ratio. */
export function fitScene(sceneW: number, sceneH: number, canvasW: number, canvasH: number, margin = 0): Fit {
  const w = Math.max(canvasW - 2 * margin, 1),
    h = Math.max(canvasH - 2 * margin, 1);
  const scale = Math.min(w / sceneW, h / sceneH);
  return { scale, offsetX: (canvasW - sceneW * scale) / 2, offsetY: (canvasH - sceneH * scale) / 2 };
}

/** RGBA pixels of a base64 RGB image, or null when the data does not hold cols*rows*3 bytes. */
export function decodeRgb(rgb: string, cols: number, rows: number): Uint8ClampedArray<ArrayBuffer> | null {
  let bin: string;
  try {
    bin = atob(rgb);
  } catch {
    return null;
  }
  const n = cols * rows;
  if (bin.length !== n * 3) return null;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i * 4] = bin.charCodeAt(j);
    out[i * 4 + 1] = bin.charCodeAt(j + 1);
    out[i * 4 + 2] = bin.charCodeAt(j + 2);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Bounding box in scene units, for hover hit tests of labelled shapes. */
export function shapeBounds(s: Shape): { x: number; y: number; w: number; h: number } {
  switch (s.kind) {
    case 'rect':
    case 'image':
      return { x: Math.min(s.x, s.x + s.w), y: Math.min(s.y, s.y + s.h), w: Math.abs(s.w), h: Math.abs(s.h) };
    case 'circle':
      return { x: s.x - s.r, y: s.y - s.r, w: 2 * s.r, h: 2 * s.r };
    case 'arrow':
      return { x: s.x - s.size, y: s.y - s.size, w: 2 * s.size, h: 2 * s.size };
    case 'grid':
      return { x: s.x, y: s.y, w: s.cols * s.cell, h: s.rows * s.cell };
    case 'text': {
      const lines = s.text.split('\n');
      const size = s.size ?? 12;
      return { x: s.x, y: s.y, w: Math.max(...lines.map((l) => l.length)) * size * 0.6, h: lines.length * size * 1.25 };
    }
    case 'path': {
      let x0 = Infinity,
        y0 = Infinity,
        x1 = -Infinity,
        y1 = -Infinity;
      for (let i = 0; i + 1 < s.points.length; i += 2) {
        x0 = Math.min(x0, s.points[i]);
        x1 = Math.max(x1, s.points[i]);
        y0 = Math.min(y0, s.points[i + 1]);
        y1 = Math.max(y1, s.points[i + 1]);
      }
      return Number.isFinite(x0) ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : { x: 0, y: 0, w: 0, h: 0 };
    }
  }
}
