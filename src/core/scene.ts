// The scene an environment's render() returns: a small declarative vocabulary the replay panel
// draws on a canvas. Data only — no HTML, no URLs — so a hostile trace cannot inject anything.
// Colours are semantic names that the panel maps to the current VS Code theme, or #rrggbb.
// Shapes marked `static: true` (a track, walls) are sent once, with the reset scene, and kept.

export type SceneColor =
  | 'background'
  | 'foreground'
  | 'muted'
  | 'accent'
  | 'agent'
  | 'goal'
  | 'hazard'
  | 'wall'
  | 'floor'
  | 'visited'
  | 'track'
  | `#${string}`;

interface ShapeBase {
  static?: boolean;
  fill?: SceneColor;
  stroke?: SceneColor;
  /** stroke width in scene units */
  lineWidth?: number;
  /** hover/legend text */
  label?: string;
}

export interface RectShape extends ShapeBase {
  kind: 'rect';
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface CircleShape extends ShapeBase {
  kind: 'circle';
  x: number;
  y: number;
  r: number;
}
/** An open polyline (or closed when `closed`), points flattened: [x0, y0, x1, y1, ...]. */
export interface PathShape extends ShapeBase {
  kind: 'path';
  points: number[];
  closed?: boolean;
}
/** Text; may hold several lines ('\n'). `mono` for terminal frames (Gymnasium `ansi` render mode). */
export interface TextShape extends ShapeBase {
  kind: 'text';
  x: number;
  y: number;
  text: string;
  size?: number;
  mono?: boolean;
}
/** A grid of cells; `cells` row-major, one colour (or null for none) per cell. */
export interface GridShape extends ShapeBase {
  kind: 'grid';
  x: number;
  y: number;
  cols: number;
  rows: number;
  cell: number;
  cells?: (SceneColor | null)[];
}
/** An oriented marker (a car, a robot): a triangle at (x, y) pointing along `angle` radians. */
export interface ArrowShape extends ShapeBase {
  kind: 'arrow';
  x: number;
  y: number;
  angle: number;
  size: number;
}

/** A small RGB image (Gymnasium `rgb_array` frames, downscaled): base64 of cols*rows*3 bytes, drawn into (x, y, w, h). */
export interface ImageShape extends ShapeBase {
  kind: 'image';
  x: number;
  y: number;
  w: number;
  h: number;
  cols: number;
  rows: number;
  rgb: string;
}

export type Shape = RectShape | CircleShape | PathShape | TextShape | GridShape | ArrowShape | ImageShape;

export interface Scene {
  /** scene units; y grows downwards */
  width: number;
  height: number;
  shapes: Shape[];
}
