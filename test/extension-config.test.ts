import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseConfig, DEFAULTS, hubEndpoint, effectiveMaxTokens, modelKey, DEFAULT_HUB_ENDPOINT, parseJsonc, modelPathInSettingsText,
  ignoredUserModelPath, modelPathScope,
} from '../src/extension/config';

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

test('parseJsonc reads settings.json with comments and trailing commas', () => {
  const text = '{\n  // the model\n  "attentionInspector.modelPath": "/models/a//b", /* block */\n  "x": [1, 2,],\n}\n';
  assert.deepEqual(parseJsonc(text), { 'attentionInspector.modelPath': '/models/a//b', x: [1, 2] });
  assert.equal(modelPathInSettingsText(text), '/models/a//b');
  assert.equal(modelPathInSettingsText('{ not json'), '');
  assert.equal(modelPathInSettingsText('{"attentionInspector.modelPath": 3}'), '');
});

test('a User-scope modelPath ignored by a remote window is detected and says where to set it', () => {
  const ignored = ignoredUserModelPath({ userFileValue: '/models/small', effective: '', inspected: {}, remoteName: 'ssh-remote' });
  assert.ok(ignored);
  assert.equal(ignored.value, '/models/small');
  assert.match(ignored.message, /User settings/);
  assert.match(ignored.message, /Remote settings/);
  assert.match(ignored.message, /Workspace settings/);
  assert.match(ignored.message, /this window is remote \(SSH\)/);
  assert.match(ignoredUserModelPath({ userFileValue: '/m', effective: '', remoteName: '127.0.0.1:8080' })!.message, /code-server/);
  // In effect, a local window, nothing set, or a workspace that chooses another folder: nothing to say.
  assert.equal(ignoredUserModelPath({ userFileValue: '/m', effective: '/m', remoteName: 'x' }), undefined);
  assert.equal(ignoredUserModelPath({ userFileValue: '/m', effective: '', inspected: { globalValue: '/m' }, remoteName: 'x' }), undefined);
  assert.equal(ignoredUserModelPath({ userFileValue: '/m', effective: '' }), undefined);
  assert.equal(ignoredUserModelPath({ userFileValue: '', effective: '', remoteName: 'x' }), undefined);
  assert.equal(ignoredUserModelPath({ userFileValue: '/m', effective: '/w', inspected: { workspaceValue: '/w' }, remoteName: 'x' }), undefined);
  // A different folder in effect from the Remote settings: the User one is still not the one used.
  assert.ok(ignoredUserModelPath({ userFileValue: '/m', effective: '/r', inspected: { globalValue: '/r' }, remoteName: 'x' }));
});

test('modelPathScope names where the value in effect comes from', () => {
  assert.equal(modelPathScope({ workspaceFolderValue: '/f' }, false), 'Workspace Folder settings');
  assert.equal(modelPathScope({ workspaceValue: '/w', globalValue: '/g' }, true), 'Workspace settings');
  assert.equal(modelPathScope({ globalValue: '/g' }, true), 'Remote settings');
  assert.equal(modelPathScope({ globalValue: '/g' }, false), 'User settings');
});
