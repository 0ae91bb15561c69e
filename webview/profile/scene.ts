// A tiny retained scene of drawing primitives in CSS pixels. Every chart builds one scene and the same
// scene is painted on a hi-DPI canvas (screen, PNG export) and serialised as an SVG document (SVG export).

export type Point = [number, number];
export type TextAnchor = 'start' | 'middle' | 'end';

export type Prim =
  | { k: 'rect'; x: number; y: number; w: number; h: number; fill?: string; stroke?: string; lineWidth?: number; alpha?: number }
  | { k: 'line'; pts: Point[]; color: string; width: number; dash?: number[]; alpha?: number }
  | { k: 'circle'; cx: number; cy: number; r: number; fill: string; stroke?: string; alpha?: number }
  | { k: 'poly'; pts: Point[]; fill: string; stroke?: string }
  | { k: 'text'; x: number; y: number; text: string; color: string; size: number; anchor?: TextAnchor;
      baseline?: 'top' | 'middle' | 'alphabetic' | 'bottom'; weight?: 'normal' | 'bold'; rotate?: number }
  | { k: 'gradient'; x: number; y: number; w: number; h: number; stops: string[] }
  | { k: 'group'; dx: number; dy: number; prims: Prim[] };

export interface Scene {
  width: number;
  height: number;
  background: string;
  fontFamily: string;
  prims: Prim[];
}

/** Draw a scene on a canvas, sizing the backing store for the device pixel ratio. */
export function paintCanvas(canvas: HTMLCanvasElement, scene: Scene, dpr: number): void {
  canvas.width = Math.max(1, Math.round(scene.width * dpr));
  canvas.height = Math.max(1, Math.round(scene.height * dpr));
  canvas.style.width = `${scene.width}px`;
  canvas.style.height = `${scene.height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('Layer Profile: the browser gave no 2D canvas context.');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = scene.background;
  ctx.fillRect(0, 0, scene.width, scene.height);
  for (const p of scene.prims) paintPrim(ctx, p, scene.fontFamily);
}

function paintPrim(ctx: CanvasRenderingContext2D, p: Prim, font: string): void {
  switch (p.k) {
    case 'rect':
      ctx.save();
      ctx.globalAlpha = p.alpha ?? 1;
      if (p.fill) { ctx.fillStyle = p.fill; ctx.fillRect(p.x, p.y, p.w, p.h); }
      if (p.stroke) { ctx.strokeStyle = p.stroke; ctx.lineWidth = p.lineWidth ?? 1; ctx.strokeRect(p.x, p.y, p.w, p.h); }
      ctx.restore();
      return;
    case 'line':
      if (p.pts.length < 2) return;
      ctx.save();
      ctx.globalAlpha = p.alpha ?? 1;
      ctx.strokeStyle = p.color;
      ctx.lineWidth = p.width;
      ctx.lineJoin = 'round';
      ctx.setLineDash(p.dash ?? []);
      ctx.beginPath();
      ctx.moveTo(p.pts[0][0], p.pts[0][1]);
      for (let i = 1; i < p.pts.length; i++) ctx.lineTo(p.pts[i][0], p.pts[i][1]);
      ctx.stroke();
      ctx.restore();
      return;
    case 'circle':
      ctx.save();
      ctx.globalAlpha = p.alpha ?? 1;
      ctx.beginPath();
      ctx.arc(p.cx, p.cy, p.r, 0, Math.PI * 2);
      ctx.fillStyle = p.fill;
      ctx.fill();
      if (p.stroke) { ctx.strokeStyle = p.stroke; ctx.lineWidth = 1; ctx.stroke(); }
      ctx.restore();
      return;
    case 'poly':
      ctx.beginPath();
      p.pts.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.closePath();
      ctx.fillStyle = p.fill;
      ctx.fill();
      if (p.stroke) { ctx.strokeStyle = p.stroke; ctx.lineWidth = 1; ctx.stroke(); }
      return;
    case 'text':
      ctx.save();
      ctx.font = `${p.weight === 'bold' ? 'bold ' : ''}${p.size}px ${font}`;
      ctx.fillStyle = p.color;
      ctx.textAlign = p.anchor === 'middle' ? 'center' : p.anchor === 'end' ? 'right' : 'left';
      ctx.textBaseline = p.baseline ?? 'alphabetic';
      ctx.translate(p.x, p.y);
      if (p.rotate) ctx.rotate((p.rotate * Math.PI) / 180);
      ctx.fillText(p.text, 0, 0);
      ctx.restore();
      return;
    case 'gradient': {
      const g = ctx.createLinearGradient(p.x, 0, p.x + p.w, 0);
      p.stops.forEach((c, i) => g.addColorStop(p.stops.length === 1 ? 0 : i / (p.stops.length - 1), c));
      ctx.fillStyle = g;
      ctx.fillRect(p.x, p.y, p.w, p.h);
      return;
    }
    case 'group':
      ctx.save();
      ctx.translate(p.dx, p.dy);
      for (const c of p.prims) paintPrim(ctx, c, font);
      ctx.restore();
      return;
  }
}

/** Serialise a scene as a standalone SVG document. */
export function sceneToSvg(scene: Scene): string {
  const defs: string[] = [];
  const body = scene.prims.map((p) => svgPrim(p, defs)).join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${r(scene.width)}" height="${r(scene.height)}" ` +
      `viewBox="0 0 ${r(scene.width)} ${r(scene.height)}" font-family="${esc(scene.fontFamily)}">`,
    defs.length ? `<defs>${defs.join('')}</defs>` : '',
    `<rect width="100%" height="100%" fill="${esc(scene.background)}"/>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

function svgPrim(p: Prim, defs: string[]): string {
  switch (p.k) {
    case 'rect':
      return `<rect x="${r(p.x)}" y="${r(p.y)}" width="${r(p.w)}" height="${r(p.h)}" fill="${p.fill ? esc(p.fill) : 'none'}"` +
        (p.stroke ? ` stroke="${esc(p.stroke)}" stroke-width="${p.lineWidth ?? 1}"` : '') +
        (p.alpha !== undefined && p.alpha < 1 ? ` opacity="${p.alpha}"` : '') + '/>';
    case 'line':
      if (p.pts.length < 2) return '';
      return `<polyline points="${points(p.pts)}" fill="none" stroke="${esc(p.color)}" stroke-width="${p.width}" ` +
        `stroke-linejoin="round"${p.dash?.length ? ` stroke-dasharray="${p.dash.join(' ')}"` : ''}` +
        `${p.alpha !== undefined && p.alpha < 1 ? ` stroke-opacity="${p.alpha}"` : ''}/>`;
    case 'circle':
      return `<circle cx="${r(p.cx)}" cy="${r(p.cy)}" r="${r(p.r)}" fill="${esc(p.fill)}"` +
        (p.stroke ? ` stroke="${esc(p.stroke)}"` : '') +
        (p.alpha !== undefined && p.alpha < 1 ? ` opacity="${p.alpha}"` : '') + '/>';
    case 'poly':
      return `<polygon points="${points(p.pts)}" fill="${esc(p.fill)}"${p.stroke ? ` stroke="${esc(p.stroke)}"` : ''}/>`;
    case 'text': {
      const anchor = p.anchor ?? 'start';
      const baseline = { top: 'hanging', middle: 'central', alphabetic: 'alphabetic', bottom: 'text-after-edge' }[p.baseline ?? 'alphabetic'];
      const transform = p.rotate ? ` transform="rotate(${p.rotate} ${r(p.x)} ${r(p.y)})"` : '';
      return `<text x="${r(p.x)}" y="${r(p.y)}" font-size="${p.size}" fill="${esc(p.color)}" text-anchor="${anchor}" ` +
        `dominant-baseline="${baseline}"${p.weight === 'bold' ? ' font-weight="bold"' : ''}${transform}>${esc(p.text)}</text>`;
    }
    case 'gradient': {
      const id = `g${defs.length}`;
      const stops = p.stops.map((c, i) =>
        `<stop offset="${p.stops.length === 1 ? 0 : i / (p.stops.length - 1)}" stop-color="${esc(c)}"/>`).join('');
      defs.push(`<linearGradient id="${id}" x1="0" y1="0" x2="1" y2="0">${stops}</linearGradient>`);
      return `<rect x="${r(p.x)}" y="${r(p.y)}" width="${r(p.w)}" height="${r(p.h)}" fill="url(#${id})"/>`;
    }
    case 'group':
      return `<g transform="translate(${r(p.dx)} ${r(p.dy)})">${p.prims.map((c) => svgPrim(c, defs)).join('')}</g>`;
  }
}

/** Prepend a title band (used for exports, where the HTML heading is not part of the image). */
export function withTitle(scene: Scene, title: string, color: string): Scene {
  const band = 26;
  return {
    ...scene,
    height: scene.height + band,
    prims: [
      { k: 'text', x: 10, y: 17, text: title, color, size: 13, weight: 'bold' },
      { k: 'group', dx: 0, dy: band, prims: scene.prims },
    ],
  };
}

const r = (v: number) => String(Math.round(v * 100) / 100);
const points = (pts: Point[]) => pts.map(([x, y]) => `${r(x)},${r(y)}`).join(' ');
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
