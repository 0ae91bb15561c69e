// Analysis progress and Cancel through the engine client and its worker (dist/worker.js): the phases an
// analysis reports, its worker-side timings, and a cancel during the (uninterruptible) model run that
// settles at once, drops the result and lets the next analysis run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { writeCheckpoint } from './fixtures/checkpoint';
import { createEngineClient, type EngineClient, type ProgressInfo } from '../src/engine/client';
import { CancelledError } from '../src/engine/errors';

const root = join(__dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'ai-client-progress-'));
let client: EngineClient;
/** Long enough that a T=1000 run takes a while (hundreds of ms) on any machine. */
const MEDIUM = { n_layer: 4, n_head: 4, n_embd: 256, n_positions: 1024, seed: 3 };
const LONG_TEXT = Array.from({ length: 1000 }, (_, i) => ['the', 'dog', 'on', 'a', 'ship'][i % 5]).join(' ');

before(async () => {
  if (!existsSync(join(root, 'dist', 'worker.js'))) execFileSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root });
  const model = await writeCheckpoint(join(tmp, 'medium'), MEDIUM);
  client = createEngineClient(join(root, 'dist', 'worker.js'));
  await client.load(model);
});
after(async () => {
  await client.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('an analysis reports its phases in order, with the token count, and its worker timings', async () => {
  const seen: ProgressInfo[] = [];
  const a = await client.analyze('The dog on the ship ran', { topK: 3 }, undefined, (p) => seen.push(p));
  assert.deepEqual(seen.map((p) => p.phase), ['queued', 'tokenizing', 'running', 'preparing']);
  assert.equal(seen.find((p) => p.phase === 'running')?.tokens, 6);
  assert.equal(seen.find((p) => p.phase === 'preparing')?.tokens, 6);
  assert.ok(a.timings.runMs > 0 && (a.timings.tokenizeMs ?? -1) >= 0 && (a.timings.prepareMs ?? -1) >= 0, JSON.stringify(a.timings));
});

test('cancel during the model run settles at once; the result is dropped and the next analysis runs', async () => {
  const earlier = await client.analyze('A short one', { topK: 2 });
  const controller = new AbortController();
  const phases: string[] = [];
  let running!: () => void;
  const isRunning = new Promise<void>((r) => (running = r));
  const long = client.analyze(LONG_TEXT, { topK: 2 }, controller.signal, (p) => {
    phases.push(p.phase ?? '');
    if (p.phase === 'running') running();
  });
  const rejected = assert.rejects(long, CancelledError);
  await isRunning;
  // The next analysis is queued behind the run that is being cancelled; it reports when it starts.
  let nextStarted = false;
  const next = client.analyze('The next one', { topK: 2 }, undefined, (p) => { if (p.phase === 'tokenizing') nextStarted = true; });
  controller.abort();
  await rejected;
  assert.equal(nextStarted, false, 'the cancel settled while the model run was still going (not after it ended)');
  const later = await next;
  assert.equal(later.tokens.length, 3);
  assert.equal(later.analysisId, earlier.analysisId + 1, 'the cancelled run kept no analysis');
  assert.ok(!phases.includes('preparing'), `the cancelled run was not prepared: ${phases.join(', ')}`);
  // The earlier analysis is still there for follow-up requests.
  const layer = await client.getLayer(earlier.analysisId, 0, 'f32');
  assert.equal(layer.byteLength, 4 * earlier.model.heads * earlier.tokens.length ** 2);
});
