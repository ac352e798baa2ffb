// Colours from the VS Code theme (CSS variables VS Code sets on the webview), re-read when the
// theme changes (VS Code swaps the body class: vscode-light / vscode-dark / vscode-high-contrast).

import { readPalette, withAlpha, type Palette } from './sceneColors';

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export interface ChartColors {
  fg: string;
  muted: string;
  grid: string;
  bg: string;
  score: string;
  scoreDim: string;
  threshold: string;
  flag: string;
  band: string;
  median: string;
  afterFlag: string;
  cursor: string;
  overlays: string[];
  lineWidth: number;
}

export interface Theme {
  kind: ThemeKind;
  palette: Palette;
  chart: ChartColors;
  fontFamily: string;
  monoFamily: string;
}

let probe: CanvasRenderingContext2D | null = null;
/** The colour as the canvas understands it (#rrggbb or rgba(...)), or `fallback` if it is not one. */
function normalize(color: string, fallback: string): string {
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe || !color.trim()) return fallback;
  probe.fillStyle = '#010203';
  probe.fillStyle = color.trim();
  const v = String(probe.fillStyle);
  return v === '#010203' && color.trim().toLowerCase() !== '#010203' ? fallback : v;
}

export function themeKind(body: HTMLElement): ThemeKind {
  if (body.classList.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (body.classList.contains('vscode-high-contrast')) return 'high-contrast';
  if (body.classList.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readTheme(): Theme {
  const cs = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => normalize(cs.getPropertyValue(name), fallback);
  const kind = themeKind(document.body);
  const light = kind === 'light' || kind === 'high-contrast-light';
  const hc = kind.startsWith('high-contrast');
  const palette = readPalette((name) => cs.getPropertyValue(name));
  for (const k of Object.keys(palette) as (keyof Palette)[]) palette[k] = normalize(palette[k], palette[k]);
  const fg = v('--vscode-editor-foreground', light ? '#333333' : '#cccccc');
  const score = v('--vscode-charts-blue', light ? '#1a85ff' : '#3794ff');
  const chart: ChartColors = {
    fg,
    muted: v('--vscode-descriptionForeground', light ? '#717171' : '#9d9d9d'),
    grid: hc ? withAlpha(fg, 0.35) : withAlpha(fg, 0.1),
    bg: v('--vscode-editor-background', light ? '#ffffff' : '#1e1e1e'),
    score,
    scoreDim: withAlpha(score, 0.55),
    threshold: v('--vscode-charts-orange', light ? '#d18616' : '#d18616'),
    flag: v('--vscode-charts-red', light ? '#e51400' : '#f14c4c'),
    band: withAlpha(v('--vscode-charts-green', '#89d185'), hc ? 0.3 : 0.16),
    median: withAlpha(v('--vscode-charts-green', '#89d185'), 0.7),
    afterFlag: withAlpha(v('--vscode-charts-red', '#f14c4c'), hc ? 0.12 : 0.07),
    cursor: withAlpha(fg, 0.8),
    overlays: [
      '--vscode-charts-purple',
      '--vscode-charts-yellow',
      '--vscode-charts-green',
      '--vscode-descriptionForeground',
    ].map((name, i) => withAlpha(v(name, ['#b180d7', '#cca700', '#89d185', '#9d9d9d'][i]), 0.75)),
    lineWidth: hc ? 2 : 1.5,
  };
  return {
    kind,
    palette,
    chart,
    fontFamily: cs.getPropertyValue('--vscode-font-family').trim() || 'system-ui, sans-serif',
    monoFamily: cs.getPropertyValue('--vscode-editor-font-family').trim() || 'monospace',
  };
}

/** Calls `onChange` when VS Code switches the theme. */
export function watchTheme(onChange: () => void): MutationObserver {
  const mo = new MutationObserver(() => onChange());
  mo.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  // switching between two dark themes changes only the variables VS Code sets on <html>
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
  return mo;
}
