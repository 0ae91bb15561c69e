import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, DEFAULTS, hubEndpoint, effectiveMaxTokens, modelKey, DEFAULT_HUB_ENDPOINT } from '../src/extension/config';

const getter = (values: Record<string, unknown>) => (key: string) => values[key];

test('parseConfig returns defaults for missing settings', () => {
  assert.deepEqual(parseConfig(getter({}), {}), DEFAULTS);
});

test('parseConfig clamps and rejects bad values', () => {
  const c = parseConfig(getter({
    topK: 0, maxTokens: 'many', decorationOpacity: 3, colorScheme: 'rainbow',
    'profile.batchSize': 12.6, 'profile.positions': -4, 'profile.includeFirstToken': true, model: '  distilgpt2 ',
  }), {});
  assert.equal(c.topK, 1);
  assert.equal(c.maxTokens, DEFAULTS.maxTokens);
  assert.equal(c.decorationOpacity, 1);
  assert.equal(c.colorScheme, 'theme');
  assert.deepEqual(c.profile, { batchSize: 13, positions: 1, includeFirstToken: true });
  assert.equal(c.model, 'distilgpt2');
});

test('parseConfig keeps valid values', () => {
  const c = parseConfig(getter({ colorScheme: 'magma', decorationOpacity: 0.25, topK: 5, modelPath: '/m' }), {});
  assert.equal(c.colorScheme, 'magma');
  assert.equal(c.decorationOpacity, 0.25);
  assert.equal(c.topK, 5);
  assert.equal(c.modelPath, '/m');
});

test('HF_ENDPOINT is honoured only while the setting is left at its default', () => {
  assert.equal(hubEndpoint(DEFAULT_HUB_ENDPOINT, { HF_ENDPOINT: 'https://mirror.example/' }), 'https://mirror.example');
  assert.equal(hubEndpoint('https://mine.example', { HF_ENDPOINT: 'https://mirror.example' }), 'https://mine.example');
  assert.equal(hubEndpoint('', {}), DEFAULT_HUB_ENDPOINT);
});

test('effectiveMaxTokens caps at the model context', () => {
  assert.equal(effectiveMaxTokens({ ...DEFAULTS, maxTokens: 4096 }, 1024), 1024);
  assert.equal(effectiveMaxTokens({ ...DEFAULTS, maxTokens: 100 }, 1024), 100);
});

test('modelKey changes when the model source changes', () => {
  assert.notEqual(modelKey({ ...DEFAULTS, model: 'gpt2' }), modelKey({ ...DEFAULTS, model: 'distilgpt2' }));
  assert.equal(modelKey({ ...DEFAULTS, modelPath: '/x', model: 'a' }), modelKey({ ...DEFAULTS, modelPath: '/x', model: 'b' }));
});
