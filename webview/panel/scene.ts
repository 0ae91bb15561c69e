// A retained list of drawing primitives, rendered either to a canvas (screen, PNG export) or to a
// real SVG document (SVG export). Views that are made of lines, rects and text build a Scene once
// and get both outputs from the same geometry.
import { SvgDoc } from './svg';

export type TextAlign = 'left' | 'right' | 'center';

export type SceneItem =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: string; alpha?: number; stroke?: string }
  | { kind: 'text'; x: number; y: number; text: string; color: string; size: number; align: TextAlign; weight?: 'bold' | '600'; mono?: boolean; rotate?: number }
  /** Many straight segments with one colour and opacity: coords = [x1, y1, x2, y2, ...]. */
  | { kind: 'lines'; color: string; alpha: number; width: number; coords: number[]; dash?: number[] }
  | { kind: 'polyline'; points: [number, number][]; color: string; width: number; alpha?: number; dash?: number[] }
  | { kind: 'polygon'; points: [number, number][]; fill: string; alpha: number }
  | { kind: 'circle'; x: number; y: number; r: number; fill: string; alpha?: number };

export interface SceneFonts {
  ui: string;
  mono: string;
}

export class Scene {
  readonly items: SceneItem[] = [];
  constructor(readonly width: number, readonly height: number, readonly background: string) {}

  add(item: SceneItem): void {
    this.items.push(item);
  }
}

const SVG_ANCHOR: Record<TextAlign, 'start' | 'end' | 'middle'> = { left: 'start', right: 'end', center: 'middle' };

export function drawScene(ctx: CanvasRenderingContext2D, scene: Scene, fonts: SceneFonts, withBackground: boolean): void {
  if (withBackground) {
    ctx.fillStyle = scene.background;
    ctx.fillRect(0, 0, scene.width, scene.height);
  }
  for (const it of scene.items) {
    ctx.globalAlpha = 1;
    ctx.setLineDash([]);
    switch (it.kind) {
      case 'rect':
        ctx.globalAlpha = it.alpha ?? 1;
        ctx.fillStyle = it.fill;
        ctx.fillRect(it.x, it.y, it.w, it.h);
        if (it.stroke) {
          ctx.globalAlpha = 1;
          ctx.strokeStyle = it.stroke;
          ctx.lineWidth = 1;
          ctx.strokeRect(it.x + 0.5, it.y + 0.5, it.w - 1, it.h - 1);
        }
        break;
      case 'text':
        ctx.font = `${it.weight ? it.weight + ' ' : ''}${it.size}px ${it.mono ? fonts.mono : fonts.ui}`;
        ctx.fillStyle = it.color;
        ctx.textAlign = it.align;
        ctx.textBaseline = 'middle';
        if (it.rotate) {
          ctx.save();
          ctx.translate(it.x, it.y);
          ctx.rotate((it.rotate * Math.PI) / 180);
          ctx.fillText(it.text, 0, 0);
          ctx.restore();
        } else {
          ctx.fillText(it.text, it.x, it.y);
        }
        break;
      case 'lines': {
        const path = new Path2D();
        const c = it.coords;
        for (let i = 0; i < c.length; i += 4) {
          path.moveTo(c[i], c[i + 1]);
          path.lineTo(c[i + 2], c[i + 3]);
        }
        ctx.globalAlpha = it.alpha;
        ctx.strokeStyle = it.color;
        ctx.lineWidth = it.width;
        if (it.dash) ctx.setLineDash(it.dash);
        ctx.stroke(path);
        break;
      }
      case 'polyline':
        if (it.points.length < 2) break;
        ctx.globalAlpha = it.alpha ?? 1;
        ctx.strokeStyle = it.color;
        ctx.lineWidth = it.width;
        ctx.lineJoin = 'round';
        if (it.dash) ctx.setLineDash(it.dash);
        ctx.beginPath();
        ctx.moveTo(it.points[0][0], it.points[0][1]);
        for (const [x, y] of it.points.slice(1)) ctx.lineTo(x, y);
        ctx.stroke();
        break;
      case 'polygon':
        if (it.points.length < 3) break;
        ctx.globalAlpha = it.alpha;
        ctx.fillStyle = it.fill;
        ctx.beginPath();
        ctx.moveTo(it.points[0][0], it.points[0][1]);
        for (const [x, y] of it.points.slice(1)) ctx.lineTo(x, y);
        ctx.closePath();
        ctx.fill();
        break;
      case 'circle':
        ctx.globalAlpha = it.alpha ?? 1;
        ctx.fillStyle = it.fill;
        ctx.beginPath();
        ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
        ctx.fill();
        break;
    }
  }
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);
}

export function sceneToSvg(scene: Scene, fonts: SceneFonts): string {
  const doc = new SvgDoc(scene.width, scene.height, scene.background, fonts.ui);
  for (const it of scene.items) {
    switch (it.kind) {
      case 'rect': {
        const extra = [it.alpha !== undefined && it.alpha < 1 ? `fill-opacity="${it.alpha.toFixed(3)}"` : '',
          it.stroke ? `stroke="${it.stroke}"` : ''].filter(Boolean).join(' ');
        doc.rect(it.x, it.y, it.w, it.h, it.fill, extra);
        break;
      }
      case 'text':
        doc.text(it.x, it.y, it.text, {
          fill: it.color, size: it.size, anchor: SVG_ANCHOR[it.align], weight: it.weight,
          rotate: it.rotate, baseline: 'middle',
        });
        break;
      case 'lines': {
        const c = it.coords;
        let d = '';
        for (let i = 0; i < c.length; i += 4) {
          d += `M${c[i].toFixed(1)} ${c[i + 1].toFixed(1)}L${c[i + 2].toFixed(1)} ${c[i + 3].toFixed(1)}`;
        }
        if (d) {
          doc.raw(`<path d="${d}" stroke="${it.color}" stroke-opacity="${it.alpha.toFixed(3)}" stroke-width="${it.width}" fill="none"${it.dash ? ` stroke-dasharray="${it.dash.join(' ')}"` : ''}/>`);
        }
        break;
      }
      case 'polyline':
        doc.polyline(it.points, it.color, it.width, [
          it.alpha !== undefined && it.alpha < 1 ? `stroke-opacity="${it.alpha.toFixed(3)}"` : '',
          it.dash ? `stroke-dasharray="${it.dash.join(' ')}"` : '', 'stroke-linejoin="round"',
        ].filter(Boolean).join(' '));
        break;
      case 'polygon':
        doc.polygon(it.points, it.fill, `fill-opacity="${it.alpha.toFixed(3)}"`);
        break;
      case 'circle':
        doc.circle(it.x, it.y, it.r, it.fill, it.alpha ?? 1);
        break;
    }
  }
  return doc.toString();
}

/** Chromium's canvas limits: 32,767 px per side and 268,435,456 px in all. */
const MAX_CANVAS_SIDE = 32_767;
const MAX_CANVAS_AREA = 268_435_456;

/** The largest scale ≤ `wanted` at which a w×h scene fits a canvas. */
export function fitPngScale(width: number, height: number, wanted: number): number {
  const side = MAX_CANVAS_SIDE / Math.max(width, height, 1);
  const area = Math.sqrt(MAX_CANVAS_AREA / Math.max(width * height, 1));
  return Math.max(0.01, Math.min(wanted, side, area));
}

/** Render a scene to a fresh canvas at `scale` (lowered when the canvas would exceed Chromium's limits). */
function sceneCanvas(scene: Scene, fonts: SceneFonts, scale?: number): HTMLCanvasElement {
  const dpr = fitPngScale(scene.width, scene.height, scale ?? Math.max(1, window.devicePixelRatio || 1));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(scene.width * dpr);
  canvas.height = Math.round(scene.height * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This webview cannot create a 2D canvas context');
  ctx.scale(dpr, dpr);
  drawScene(ctx, scene, fonts, true);
  return canvas;
}

/**
 * Render a scene to a fresh canvas and return a PNG data URL. `scale` = device pixels per scene
 * pixel (default: the screen's pixel ratio); it is lowered when the canvas would exceed Chromium's limits.
 */
export function sceneToPng(scene: Scene, fonts: SceneFonts, scale?: number): string {
  return sceneCanvas(scene, fonts, scale).toDataURL('image/png');
}

/**
 * The same PNG, encoded off the main thread (canvas.toBlob): a whole-view export of a long input is
 * tens of megapixels, which takes seconds to encode, and the panel must stay responsive meanwhile.
 */
export async function sceneToPngAsync(scene: Scene, fonts: SceneFonts, scale?: number): Promise<string> {
  const canvas = sceneCanvas(scene, fonts, scale);
  const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The browser could not encode the PNG'))), 'image/png'));
  canvas.width = canvas.height = 0;
  return new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('Could not read the encoded PNG'));
    reader.readAsDataURL(blob);
  });
}
