// The panel's persisted UI state: merging a stored state and clamping it to an analysis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampState, defaultState, restoreState } from '../webview/panel/state';

const shape = (analysisId: number, T = 10, L = 2, H = 4) => ({ analysisId, T, L, H });

test('the pinned query survives a reload of the same analysis', () => {
  const s = { ...defaultState(), analysisId: 3, query: 7 };
  clampState(s, shape(3));
  assert.equal(s.query, 7);
});

test('a new analysis drops the pinned query, even when the index would fit the new text', () => {
  const s = { ...defaultState(), analysisId: 3, query: 7 };
  clampState(s, shape(4, 16));
  assert.equal(s.query, null);
  assert.equal(s.analysisId, 4);
});

test('the first analysis after a restored state drops a stored query', () => {
  const s = restoreState({ ...defaultState(), analysisId: null, query: 2 });
  clampState(s, shape(1));
  assert.equal(s.query, null);
});

test('layer, head and visible heads are clamped to the new shape; tab and layout are kept', () => {
  const s = { ...defaultState(), analysisId: 1, layer: 11, head: 11, visibleHeads: [0, 5, 9], tab: 'heatmap' as const, heatmapLayout: 'grid' as const };
  clampState(s, shape(2, 10, 4, 6));
  assert.equal(s.layer, 3);
  assert.equal(s.head, 5);
  assert.deepEqual(s.visibleHeads, [0, 5]);
  assert.equal(s.tab, 'heatmap');
  assert.equal(s.heatmapLayout, 'grid');
});

test('no visible head left means all heads', () => {
  const s = { ...defaultState(), visibleHeads: [8, 9] };
  clampState(s, shape(1, 10, 2, 4));
  assert.equal(s.visibleHeads, null);
});

test('the mean of heads (head null) stays the mean', () => {
  const s = { ...defaultState(), head: null };
  clampState(s, shape(1));
  assert.equal(s.head, null);
});
