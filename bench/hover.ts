// Hover latency after an analysis: the hover is answered from the cached analysis (token lookup by offset +
// markdown), no engine call. Measures that path at T = 1024 with k = 10 over 2000 random offsets. Prints JSON.
import { GPT2Tokenizer } from '../src/engine/tokenizer';
import { gpt2TokenizerJson } from '../test/fixtures/gpt2Tokenizer';
import { tokenAt } from '../src/extension/text';
import { hoverMarkdown } from '../src/extension/hoverMarkdown';
import { rng } from '../test/fixtures/random';

const tok = GPT2Tokenizer.fromJson(gpt2TokenizerJson());
const words = 'The dog on the ship ran while a motor hummed, and the sea was calm; émigrés 👍🏽 wrote'.split(' ');
const text = Array.from({ length: 1400 }, (_, i) => words[i % words.length]).join(' ');
const { tokens } = tok.encode(text, 1024);
const T = tokens.length;
const k = 10;
const next = rng(1);
const probs = Float32Array.from({ length: T * k }, () => next() / k);
const ids = Int32Array.from({ length: T * k }, () => Math.floor(next() * 50257));
const names = Array.from(ids, (id) => tok.tokenText(id));
const logp = Float32Array.from({ length: T }, () => Math.log(next()));

const times: number[] = [];
const end = tokens[T - 1].end;
for (let n = 0; n < 2000; n++) {
  const t0 = performance.now();
  const i = tokenAt(tokens, Math.floor(next() * end));
  const predictions = Array.from({ length: k }, (_, j) => ({ text: names[i * k + j], prob: probs[i * k + j] }));
  const md = hoverMarkdown({ token: tokens[i], index: i, count: T, predictions, next: i + 1 < T ? { text: tokens[i + 1].text, logProb: logp[i] } : undefined });
  if (md.length === 0) throw new Error('empty hover');
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const q = (p: number) => +times[Math.floor(p * (times.length - 1))].toFixed(3);
console.log(JSON.stringify({ tokens: T, topK: k, hovers: times.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: q(1) }));
