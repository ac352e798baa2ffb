// Draws an environment's scene (src/core/scene.ts) on a canvas, fitted to the panel with its
// aspect kept, in the current theme's colours. Only validated shapes are drawn; colours that are
// neither a semantic name nor #rrggbb leave that part undrawn.

import type { Scene, Shape } from '../src/core/scene';
import { h } from './dom';
import { resolveColor, type Palette } from './sceneColors';
import { decodeRgb, fitScene, shapeBounds, validShapes } from './sceneShapes';
import type { Theme } from './theme';

const MAX_TEXT_LINES = 400;

/** the other episode's shapes show through: visible, yet not taken for this episode's */
const GHOST_ALPHA = 0.4;

export class SceneView {
  readonly canvas: HTMLCanvasElement;
  private readonly caption: HTMLElement;
  private scene: Scene | null = null;
  private shapes: Shape[] = [];
  private ghostShapes: Shape[] = [];
  private theme: Theme | null = null;
  private fit = { scale: 1, offsetX: 0, offsetY: 0 };
  private readonly images = new WeakMap<object, HTMLCanvasElement | null>();

  constructor(root: HTMLElement) {
    this.canvas = h('canvas', 'scene-canvas');
    this.canvas.setAttribute('role', 'img');
    this.caption = h('div', 'scene-caption');
    root.append(this.canvas, this.caption);
    new ResizeObserver(() => this.redraw()).observe(root);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
  }

  /** `ghost`: another episode's moving shapes at the same step (a fork beside its parent), drawn
   *  semi-transparent over this one's and named in the caption by `ghostLabel`. */
  show(scene: Scene | null, step: number | null, theme: Theme, ghost: Scene | null = null, ghostLabel = ''): void {
    this.scene = scene;
    this.shapes = scene ? validShapes(scene) : [];
    this.ghostShapes = scene && ghost ? validShapes(ghost) : [];
    this.theme = theme;
    this.caption.textContent = scene
      ? `scene at step ${step ?? '—'}${this.ghostShapes.length ? ` · ghost: ${ghostLabel}` : ''}`
      : this.problem
        ? `no scene: ${this.problem}`
        : 'no scene for this step';
    this.caption.classList.toggle('scene-problem', !scene && this.problem !== null);
    this.canvas.setAttribute('aria-label', this.caption.textContent);
    this.redraw();
  }

  /** A display problem (render() threw or returned something unusable): said in the scene area,
   *  in place of "no scene for this step", wherever a step has no scene. */
  problem: string | null = null;

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.redraw();
  }

  redraw(): void {
    const cv = this.canvas,
      theme = this.theme;
    const cssW = Math.max(cv.clientWidth, 1),
      cssH = Math.max(cv.clientHeight, 1);
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(cssW * dpr),
      hgt = Math.round(cssH * dpr);
    if (cv.width !== w || cv.height !== hgt) {
      cv.width = w;
      cv.height = hgt;
    }
    const ctx = cv.getContext('2d');
    if (!ctx || !theme) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    const scene = this.scene;
    if (!scene) return;
    this.fit = fitScene(scene.width, scene.height, cssW, cssH, 6);
    const { scale, offsetX, offsetY } = this.fit;
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * offsetX, dpr * offsetY);
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, 0, scene.width, scene.height);
    ctx.clip();
    ctx.fillStyle = theme.palette.background;
    ctx.fillRect(0, 0, scene.width, scene.height);
    for (const s of this.shapes) {
      ctx.save();
      try {
        this.drawShape(ctx, s, theme, scale);
      } finally {
        ctx.restore();
      }
    }
    for (const s of this.ghostShapes) {
      ctx.save();
      try {
        ctx.globalAlpha = GHOST_ALPHA;
        this.drawShape(ctx, s, theme, scale);
      } finally {
        ctx.restore();
      }
    }
    ctx.restore();
    ctx.strokeStyle = theme.chart.grid;
    ctx.lineWidth = 1 / scale;
    ctx.strokeRect(0, 0, scene.width, scene.height);
  }

  private drawShape(ctx: CanvasRenderingContext2D, s: Shape, theme: Theme, scale: number): void {
    const p: Palette = theme.palette;
    const fill = resolveColor(s.fill, p);
    const stroke = resolveColor(s.stroke, p);
    ctx.lineWidth = s.lineWidth !== undefined && s.lineWidth > 0 ? s.lineWidth : 1 / scale;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    const paint = (defFill: string | null, defStroke: string | null) => {
      const f = fill ?? (s.fill === undefined && stroke === null ? defFill : null);
      const k = stroke ?? (s.stroke === undefined && fill === null ? defStroke : null);
      if (f) {
        ctx.fillStyle = f;
        ctx.fill();
      }
      if (k) {
        ctx.strokeStyle = k;
        ctx.stroke();
      }
    };
    switch (s.kind) {
      case 'rect':
        ctx.beginPath();
        ctx.rect(s.x, s.y, s.w, s.h);
        paint(null, p.foreground);
        break;
      case 'circle':
        ctx.beginPath();
        ctx.arc(s.x, s.y, s.r, 0, Math.PI * 2);
        paint(null, p.foreground);
        break;
      case 'path': {
        if (s.points.length < 4) break;
        ctx.beginPath();
        ctx.moveTo(s.points[0], s.points[1]);
        for (let i = 2; i + 1 < s.points.length; i += 2) ctx.lineTo(s.points[i], s.points[i + 1]);
        if (s.closed) ctx.closePath();
        const k = stroke ?? (s.stroke === undefined ? p.foreground : null);
        if (fill && s.closed) {
          ctx.fillStyle = fill;
          ctx.fill();
        }
        if (k) {
          ctx.strokeStyle = k;
          ctx.stroke();
        }
        break;
      }
      case 'text': {
        const size = s.size ?? 12 / scale;
        ctx.font = `${size}px ${s.mono ? theme.monoFamily : theme.fontFamily}`;
        ctx.textBaseline = 'top';
        const color = fill ?? (s.fill === undefined ? p.foreground : null);
        if (!color) break;
        ctx.fillStyle = color;
        const lines = s.text.split('\n');
        for (let i = 0; i < Math.min(lines.length, MAX_TEXT_LINES); i++)
          ctx.fillText(lines[i], s.x, s.y + i * size * 1.2);
        break;
      }
      case 'grid': {
        const { cols, rows, cell } = s;
        if (s.cells) {
          const eps = 0.5 / scale; // overlap by half a pixel so no seams show between cells
          for (let i = 0; i < s.cells.length; i++) {
            const c = resolveColor(s.cells[i], p);
            if (!c) continue;
            ctx.fillStyle = c;
            ctx.fillRect(s.x + (i % cols) * cell, s.y + Math.floor(i / cols) * cell, cell + eps, cell + eps);
          }
        } else if (fill) {
          ctx.fillStyle = fill;
          ctx.fillRect(s.x, s.y, cols * cell, rows * cell);
        }
        if (stroke) {
          ctx.strokeStyle = stroke;
          ctx.beginPath();
          for (let c = 0; c <= cols; c++) {
            ctx.moveTo(s.x + c * cell, s.y);
            ctx.lineTo(s.x + c * cell, s.y + rows * cell);
          }
          for (let r = 0; r <= rows; r++) {
            ctx.moveTo(s.x, s.y + r * cell);
            ctx.lineTo(s.x + cols * cell, s.y + r * cell);
          }
          ctx.stroke();
        }
        break;
      }
      case 'arrow': {
        const z = s.size;
        ctx.translate(s.x, s.y);
        ctx.rotate(s.angle);
        ctx.beginPath();
        ctx.moveTo(z, 0);
        ctx.lineTo(-0.7 * z, -0.62 * z);
        ctx.lineTo(-0.35 * z, 0);
        ctx.lineTo(-0.7 * z, 0.62 * z);
        ctx.closePath();
        paint(p.agent, null);
        break;
      }
      case 'image': {
        const img = this.image(s);
        if (!img) break;
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(img, s.x, s.y, s.w, s.h);
        if (stroke) {
          ctx.strokeStyle = stroke;
          ctx.strokeRect(s.x, s.y, s.w, s.h);
        }
        break;
      }
    }
  }

  private image(s: Extract<Shape, { kind: 'image' }>): HTMLCanvasElement | null {
    if (this.images.has(s)) return this.images.get(s) ?? null;
    const px = decodeRgb(s.rgb, s.cols, s.rows);
    let out: HTMLCanvasElement | null = null;
    if (px) {
      out = document.createElement('canvas');
      out.width = s.cols;
      out.height = s.rows;
      out.getContext('2d')?.putImageData(new ImageData(px, s.cols, s.rows), 0, 0);
    }
    this.images.set(s, out);
    return out;
  }

  private hover(e: MouseEvent): void {
    const r = this.canvas.getBoundingClientRect();
    const x = (e.clientX - r.left - this.fit.offsetX) / this.fit.scale;
    const y = (e.clientY - r.top - this.fit.offsetY) / this.fit.scale;
    let label = '';
    for (let i = this.shapes.length - 1; i >= 0; i--) {
      const s = this.shapes[i];
      if (!s.label) continue;
      const b = shapeBounds(s);
      if (x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h) {
        label = s.label;
        break;
      }
    }
    this.canvas.title = label;
  }
}
