// Drives the panel's Generation tab in the harness without a model: synthetic generation messages (prompt,
// steps with candidates and attention mass) in exactly the shapes of src/protocol.ts, and a responder in the page
// that answers requestStepRow with the same synthetic rows. The model name is synthetic ("test-small").
import type { Page } from 'playwright-core';
import type { ToPanelMessage } from '../../src/protocol';
import type { GenerationSettings } from '../../src/engine/generationTypes';
import { syntheticTokens } from './synthetic';
import { openHarness, type Browser } from './browser';

export interface GenShape { P: number; N: number; L: number; H: number }

/** Attention row of step s (context P+s+1) for (layer, head): a first-token sink, recency, and a head-dependent spike. */
export function genRow(shape: GenShape, s: number, layer: number, head: number | null): Float32Array {
  const ctx = shape.P + s + 1;
  const heads = head === null ? Array.from({ length: shape.H }, (_, h) => h) : [head];
  const out = new Float32Array(ctx);
  for (const h of heads) {
    const w = new Float64Array(ctx);
    let z = 0;
    for (let j = 0; j < ctx; j++) {
      const recency = Math.exp(-(ctx - 1 - j) / (1 + h));
      const sink = j === 0 ? 1 + layer : 0;
      const spike = j === (h * 7 + layer * 3) % ctx ? 1.5 : 0;
      w[j] = recency + sink + spike;
      z += w[j];
    }
    for (let j = 0; j < ctx; j++) out[j] += w[j] / z / heads.length;
  }
  return out;
}

export function genMessages(shape: GenShape, settings: GenerationSettings): ToPanelMessage[] {
  const { P, N, L, H } = shape;
  const prompt = syntheticTokens(P);
  const model = { name: 'test-small', layers: L, heads: H, embd: 64, vocab: 50257, ctx: 1024, dtype: 'F32' as const };
  const out: ToPanelMessage[] = [{ type: 'generationStart', run: 1, model, prompt: [], settings, sourceName: 'notes.md', canInsert: true }];
  const words = [' the', ' storm', ' passed', ' and', ' sea', ' was', ' calm', ' again', '.', ' They'];
  for (let s = 0; s < N; s++) {
    const mass = new Float32Array(L * H * 3);
    for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) {
      const row = genRow(shape, s, l, h);
      let p = 0;
      for (let j = 0; j < P; j++) p += row[j];
      const o = (l * H + h) * 3;
      mass[o] = p;
      mass[o + 1] = 1 - p;
      mass[o + 2] = row[0];
    }
    const topk = Array.from({ length: 10 }, (_, i) => ({ id: 2000 + ((s + i) % 10), token: words[(s + i) % 10], prob: 0.5 / (i + 1) ** 1.3 }));
    const chosen = s % 4 === 3 ? 2 : 0;
    out.push({
      type: 'generationStep', run: 1,
      step: {
        generationId: 7, index: s, id: topk[chosen].id, token: topk[chosen].token, prob: topk[chosen].prob, rank: chosen + 1, topk,
        samplerProb: 0.4, kept: 6, context: P + s + 1, ms: 20 + (s % 5), mass: mass.buffer, prompt: s === 0 ? prompt : undefined,
      },
    });
  }
  const text = out.map((m) => (m.type === 'generationStep' ? m.step.token : '')).join('');
  out.push({ type: 'generationEnd', run: 1, generationId: 7, text, stopReason: 'max-new-tokens', cache: true, prefillMs: 120 });
  return out;
}

/** Open the harness without an analysis, answer step-row requests, and play a synthetic generation. */
export async function openGeneration(browser: Browser, url: string, shape: GenShape, settings: GenerationSettings, query: Record<string, string | number> = {}): Promise<{ page: Page; errors: string[] }> {
  const opened = await openHarness(browser, url, { auto: 0, ...query });
  const { page } = opened;
  await page.waitForFunction(() => window.__harness.posted.some((m) => m.type === 'ready'));
  await page.exposeFunction('__genRow', (s: number, layer: number, head: number | null) => Array.from(genRow(shape, s, layer, head)));
  await page.evaluate(() => {
    const h = window.__harness;
    const push = h.posted.push.bind(h.posted);
    h.posted.push = (...items) => {
      for (const m of items) {
        if (m.type === 'requestStepRow') {
          void (window as unknown as { __genRow: (s: number, l: number, h: number | null) => Promise<number[]> }).__genRow(m.step, m.layer, m.head).then((row) => {
            h.send({ type: 'stepRow', generationId: m.generationId, step: m.step, layer: m.layer, head: m.head, data: new Float32Array(row).buffer });
          });
        }
      }
      return push(...items);
    };
  });
  for (const m of genMessages(shape, settings)) {
    await page.evaluate((msg) => {
      const m = msg as ToPanelMessage & { step?: { mass: number[] } };
      if (m.type === 'generationStep') (m.step as unknown as { mass: ArrayBuffer }).mass = new Float32Array(m.step!.mass as unknown as number[]).buffer;
      window.__harness.send(m);
    }, m.type === 'generationStep' ? { ...m, step: { ...m.step, mass: Array.from(new Float32Array(m.step.mass)) } } : m);
  }
  return opened;
}
