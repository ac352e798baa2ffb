// Scene colours: semantic names map to VS Code theme colours (so a scene follows light, dark and
// high-contrast themes); `#rrggbb` passes through after validation; anything else is ignored, so a
// trace cannot smuggle CSS (`url(...)`, `var(...)`, gradients) into the canvas.

export const SEMANTIC_COLORS = [
  'background',
  'foreground',
  'muted',
  'accent',
  'agent',
  'goal',
  'hazard',
  'wall',
  'floor',
  'visited',
  'track',
] as const;
export type SemanticColor = (typeof SEMANTIC_COLORS)[number];

/** The VS Code theme variable read for each name, and a fallback when the variable is missing. */
export const SEMANTIC_SOURCES: Record<SemanticColor, readonly [string, string]> = {
  background: ['--vscode-editor-background', '#1e1e1e'],
  foreground: ['--vscode-editor-foreground', '#d4d4d4'],
  muted: ['--vscode-descriptionForeground', '#9d9d9d'],
  accent: ['--vscode-focusBorder', '#007fd4'],
  agent: ['--vscode-charts-blue', '#3794ff'],
  goal: ['--vscode-charts-green', '#89d185'],
  hazard: ['--vscode-charts-red', '#f14c4c'],
  wall: ['--vscode-foreground', '#cccccc'],
  floor: ['--vscode-editorWidget-background', '#252526'],
  visited: ['--vscode-charts-yellow', '#cca700'],
  track: ['--vscode-charts-lines', '#808080'],
};

export type Palette = Record<SemanticColor, string>;

const HEX = /^#[0-9a-fA-F]{6}$/;

export function isHexColor(x: unknown): x is string {
  return typeof x === 'string' && HEX.test(x);
}

export function isSemanticColor(x: unknown): x is SemanticColor {
  return typeof x === 'string' && (SEMANTIC_COLORS as readonly string[]).includes(x);
}

/** The colour to draw with, or null to leave the part undrawn. */
export function resolveColor(c: unknown, palette: Palette): string | null {
  if (isSemanticColor(c)) return palette[c];
  if (isHexColor(c)) return c;
  return null;
}

/** Builds the palette from a CSS variable reader (getComputedStyle(document.body).getPropertyValue). */
export function readPalette(read: (cssVar: string) => string): Palette {
  const p = {} as Palette;
  for (const name of SEMANTIC_COLORS) {
    const [v, fallback] = SEMANTIC_SOURCES[name];
    const value = read(v).trim();
    p[name] = value || fallback;
  }
  return p;
}

/** `color` with an alpha, for any colour string a canvas accepts as `#rrggbb` or `rgb(a)(...)`
 *  (canvas normalises fillStyle to one of those). Unknown forms come back unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const a = Math.min(Math.max(alpha, 0), 1);
  if (HEX.test(color)) {
    const n = parseInt(color.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  }
  const m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/.exec(color);
  return m ? `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${a})` : color;
}
