// A small builder for standalone SVG documents (exports). Text is escaped; numbers are rounded.

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const n = (v: number): string => (Math.round(v * 100) / 100).toString();

export class SvgDoc {
  private readonly parts: string[] = [];

  constructor(readonly width: number, readonly height: number, background: string, private readonly fontFamily: string) {
    this.rect(0, 0, width, height, background);
  }

  rect(x: number, y: number, w: number, h: number, fill: string, extra = ''): void {
    this.parts.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${escapeXml(fill)}"${extra ? ' ' + extra : ''}/>`);
  }

  line(x1: number, y1: number, x2: number, y2: number, stroke: string, width: number, opacity = 1): void {
    this.parts.push(`<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${escapeXml(stroke)}" stroke-width="${n(width)}"${opacity < 1 ? ` stroke-opacity="${n(opacity)}"` : ''}/>`);
  }

  polyline(points: [number, number][], stroke: string, width: number, extra = ''): void {
    const pts = points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ');
    this.parts.push(`<polyline points="${pts}" fill="none" stroke="${escapeXml(stroke)}" stroke-width="${n(width)}"${extra ? ' ' + extra : ''}/>`);
  }

  polygon(points: [number, number][], fill: string, extra = ''): void {
    const pts = points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ');
    this.parts.push(`<polygon points="${pts}" fill="${escapeXml(fill)}"${extra ? ' ' + extra : ''}/>`);
  }

  circle(cx: number, cy: number, r: number, fill: string, opacity = 1): void {
    this.parts.push(`<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(r)}" fill="${escapeXml(fill)}"${opacity < 1 ? ` fill-opacity="${n(opacity)}"` : ''}/>`);
  }

  text(x: number, y: number, s: string, opts: { fill: string; size: number; anchor?: 'start' | 'middle' | 'end'; weight?: string; rotate?: number; baseline?: 'middle' | 'auto' | 'hanging' }): void {
    const attrs = [
      `x="${n(x)}"`, `y="${n(y)}"`, `fill="${escapeXml(opts.fill)}"`, `font-size="${n(opts.size)}"`,
      opts.anchor ? `text-anchor="${opts.anchor}"` : '',
      opts.weight ? `font-weight="${opts.weight}"` : '',
      opts.baseline ? `dominant-baseline="${opts.baseline}"` : '',
      opts.rotate ? `transform="rotate(${n(opts.rotate)} ${n(x)} ${n(y)})"` : '',
    ].filter(Boolean).join(' ');
    this.parts.push(`<text ${attrs} xml:space="preserve">${escapeXml(s)}</text>`);
  }

  raw(fragment: string): void {
    this.parts.push(fragment);
  }

  toString(): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${n(this.width)}" height="${n(this.height)}" viewBox="0 0 ${n(this.width)} ${n(this.height)}" font-family="${escapeXml(this.fontFamily)}">\n${this.parts.join('\n')}\n</svg>\n`;
  }
}
