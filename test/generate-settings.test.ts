// Pure parts of the Generation and Live glue: settings parsing and the live range after edits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GENERATION_DEFAULTS, parseGenerationSettings } from '../src/extension/generationSettings';
import { liveRange } from '../src/extension/liveRange';
import { isGenerationSettings, isFromPanelMessage } from '../src/protocol';

test('generation settings: defaults, valid values, and out-of-range values fall back', () => {
  assert.deepEqual(parseGenerationSettings(() => undefined), GENERATION_DEFAULTS);
  const set: Record<string, unknown> = {
    'generate.strategy': 'sample', 'generate.temperature': 0.7, 'generate.topK': 40, 'generate.topP': 0.9, 'generate.seed': 7, 'generate.maxNewTokens': 50,
  };
  assert.deepEqual(parseGenerationSettings((k) => set[k]), { strategy: 'sample', temperature: 0.7, topK: 40, topP: 0.9, seed: 7, maxNewTokens: 50 });
  const bad: Record<string, unknown> = {
    'generate.strategy': 'beam', 'generate.temperature': -1, 'generate.topK': 1.5, 'generate.topP': 0, 'generate.seed': -3, 'generate.maxNewTokens': 0,
  };
  assert.deepEqual(parseGenerationSettings((k) => bad[k]), GENERATION_DEFAULTS);
});

test('live range: typing at the end extends it, edits before shift it, edits after leave it, inside edits resize it', () => {
  const r = { start: 10, end: 20 };
  assert.deepEqual(liveRange(r, { offset: 20, length: 0, textLength: 3 }), { start: 10, end: 23 });
  assert.deepEqual(liveRange(r, { offset: 2, length: 1, textLength: 4 }), { start: 13, end: 23 });
  assert.equal(liveRange(r, { offset: 25, length: 2, textLength: 0 }), null);
  assert.deepEqual(liveRange(r, { offset: 15, length: 2, textLength: 0 }), { start: 10, end: 18 });
  assert.deepEqual(liveRange(r, { offset: 19, length: 1, textLength: 0 }), { start: 10, end: 19 }, 'backspace at the end');
  assert.deepEqual(liveRange(r, { offset: 8, length: 4, textLength: 0 }), { start: 8, end: 16 }, 'across the start');
});

test('panel messages of the Generation tab are validated', () => {
  const s = { strategy: 'sample', temperature: 1, topK: 0, topP: 1, seed: 0, maxNewTokens: 5 };
  assert.ok(isGenerationSettings(s));
  assert.ok(!isGenerationSettings({ ...s, strategy: 'beam' }));
  assert.ok(!isGenerationSettings({ ...s, topP: 'x' }));
  assert.ok(isFromPanelMessage({ type: 'generate', settings: s }));
  assert.ok(!isFromPanelMessage({ type: 'generate', settings: { ...s, seed: null } }));
  assert.ok(isFromPanelMessage({ type: 'requestStepRow', generationId: 1, step: 0, layer: 2, head: null }));
  assert.ok(!isFromPanelMessage({ type: 'requestStepRow', generationId: 1, step: -1, layer: 2, head: null }));
  for (const type of ['stopGeneration', 'insertGeneration', 'compareCache', 'openGenerationAnalysis']) assert.ok(isFromPanelMessage({ type }));
  assert.ok(isFromPanelMessage({ type: 'setLive', enabled: true }));
  assert.ok(!isFromPanelMessage({ type: 'setLive', enabled: 'yes' }));
});
