// What an environment's render() may return, turned into a scene for the replay panel — or into a
// problem that costs the scene and never the step (issue 9). Accepted, as users coming from
// Gymnasium return them (and as the Python runner does, omScene.py):
//   - a scene { width, height, shapes: [...] } (src/core/scene.ts);
//   - a string: a text frame, like Gymnasium's `ansi` mode (colour codes dropped, characters on a
//     coloured background shown as '@', the way toy-text environments mark the agent);
//   - an RGB array: nested arrays rows x columns x 3 (or 4; or rows x columns of grey levels), or
//     { width, height, data } with data a typed or plain array of width*height*3 (or *4) values
//     0..255 — an image frame, downscaled by striding to at most 64 x 64 pixels.
import type { Scene } from '../core/scene';
import { checkReset } from '../core/traceRecordValidate';

export const MAX_IMAGE_SIDE = 64;
export const EXPECTED_RENDER =
  'a scene { width, height, shapes: [...] }, a string (a text frame) or an RGB array ' +
  '(rows x columns x 3 nested arrays, or { width, height, data })';

export type FrameResult = { scene: Scene } | { problem: string };

// ANSI escape sequences are what these match.
/* eslint-disable no-control-regex */
const SGR = /\x1b\[([0-9;]*)m/g;
const OTHER_ESC = /\x1b\[[0-9;?]*[A-Za-z]/g;
/* eslint-enable no-control-regex */

/** Text without ANSI escapes; characters on a coloured background become '@'. */
export function stripAnsi(text: string): string {
  let out = '';
  let pos = 0;
  let highlighted = false;
  const mark = (s: string) => (highlighted ? s.replace(/[^\n\r]/g, '@') : s);
  for (const m of text.matchAll(SGR)) {
    out += mark(text.slice(pos, m.index));
    for (const code of (m[1] || '0').split(';')) {
      const n = Number(code);
      if (code === '0' || code === '' || code === '49') highlighted = false;
      else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) highlighted = true;
    }
    pos = m.index! + m[0].length;
  }
  out += mark(text.slice(pos));
  return out.replace(OTHER_ESC, '');
}

export function textScene(raw: string): Scene {
  const text = stripAnsi(raw).replace(/\n+$/, '');
  const lines = text.split('\n');
  const cols = Math.max(0, ...lines.map((l) => l.length));
  return {
    width: Math.max(1, cols),
    height: Math.max(1, lines.length),
    shapes: [{ kind: 'text', x: 0, y: 0, text, size: 1, mono: true }],
  };
}

type Pixels = { w: number; h: number; at: (x: number, y: number, c: number) => number };

const isNumArray = (v: unknown): v is ArrayLike<number> =>
  (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) && (v as ArrayLike<unknown>).length >= 0;

/** Pixel access over nested arrays or { width, height, data }, or the reason it is not an image. */
function pixels(v: unknown): Pixels | string {
  if (Array.isArray(v)) {
    const h = v.length;
    const row0 = v[0];
    if (!h || !Array.isArray(row0) || !row0.length) return 'an array that is not rows x columns (x 3) of numbers';
    const w = row0.length;
    const grey = typeof row0[0] === 'number';
    const ch = grey ? 1 : Array.isArray(row0[0]) ? row0[0].length : 0;
    if (!grey && ch < 3) return `an array of rows x columns x ${ch}; expected 3 (RGB) or 4 (RGBA) channels`;
    for (const row of v) if (!Array.isArray(row) || row.length !== w) return 'an array whose rows differ in length';
    return { w, h, at: grey ? (x, y) => v[y][x] : (x, y, c) => v[y][x][c] };
  }
  if (v && typeof v === 'object' && 'width' in v && 'height' in v && 'data' in v) {
    const { width: w, height: h, data } = v as { width: unknown; height: unknown; data: unknown };
    if (!Number.isInteger(w) || !Number.isInteger(h) || (w as number) < 1 || (h as number) < 1)
      return '{ width, height, data } without positive integer width and height';
    if (!isNumArray(data)) return '{ width, height, data } whose data is not an array of numbers';
    const n = (w as number) * (h as number);
    const ch = data.length === n * 3 ? 3 : data.length === n * 4 ? 4 : 0;
    if (!ch)
      return `{ width: ${w}, height: ${h}, data } with ${data.length} values; expected ${n * 3} (RGB) or ${n * 4} (RGBA)`;
    return { w: w as number, h: h as number, at: (x, y, c) => data[(y * (w as number) + x) * ch + c] };
  }
  return 'not an image';
}

export function imageScene(p: Pixels): Scene | string {
  const step = Math.max(1, Math.ceil(Math.max(p.w, p.h) / MAX_IMAGE_SIDE));
  const cols = Math.ceil(p.w / step);
  const rows = Math.ceil(p.h / step);
  const bytes = Buffer.alloc(cols * rows * 3);
  let i = 0;
  for (let y = 0; y < p.h; y += step) {
    for (let x = 0; x < p.w; x += step) {
      for (let c = 0; c < 3; c++) {
        const value = Number(p.at(x, y, c));
        if (!Number.isFinite(value)) return `an image with a non-numeric value at row ${y}, column ${x}`;
        bytes[i++] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
  return {
    width: p.w,
    height: p.h,
    shapes: [{ kind: 'image', x: 0, y: 0, w: p.w, h: p.h, cols, rows, rgb: bytes.toString('base64') }],
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).slice(0, 6);
    return `an object with keys ${keys.length ? keys.join(', ') : '(none)'}`;
  }
  return typeof v;
}

/** A scene from what render() returned, or what is wrong with it. */
export function frameToScene(v: unknown): FrameResult {
  if (typeof v === 'string') return { scene: textScene(v) };
  if (v && typeof v === 'object' && !Array.isArray(v) && 'shapes' in v) {
    const s = v as Scene;
    if (typeof s.width !== 'number' || typeof s.height !== 'number' || !Array.isArray(s.shapes)) {
      return {
        problem: `render() returned an object with shapes but without numeric width and height; expected ${EXPECTED_RENDER}`,
      };
    }
    // the same check the trace reader applies, so a bad scene is caught here, not as a bad trace later
    const problem = checkReset({ scene: s });
    if (problem) return { problem: `render() returned an invalid scene: ${problem}` };
    return { scene: s };
  }
  if (Array.isArray(v) || (v && typeof v === 'object' && 'data' in v)) {
    const p = pixels(v);
    if (typeof p === 'string') return { problem: `render() returned ${p}; expected ${EXPECTED_RENDER}` };
    const s = imageScene(p);
    if (typeof s === 'string') return { problem: `render() returned ${s}; expected ${EXPECTED_RENDER}` };
    return { scene: s };
  }
  return { problem: `render() returned ${describe(v)}; expected ${EXPECTED_RENDER}` };
}
