// Shared engine types. Pure data: no Node or VS Code imports, so the webview may import these too.

/** The GPT-2 hyper-parameters we read from config.json. */
export interface GPT2Config {
  n_layer: number;
  n_head: number;
  n_embd: number;
  n_positions: number;
  vocab_size: number;
  layer_norm_epsilon: number;
  activation_function: string;
}

/** What the CLI prints as `model` and what the views show in their header. */
export interface ModelInfo {
  name: string;
  layers: number;
  heads: number;
  embd: number;
  vocab: number;
  ctx: number;
  dtype: 'F32' | 'F16' | 'BF16';
}

/** One token with its exact UTF-16 range [start, end) in the analyzed string. */
export interface Token {
  id: number;
  text: string;
  start: number;
  end: number;
}

/**
 * The result of one analysis of one text. Large tensors are flat typed arrays (row-major),
 * so they can cross worker/webview boundaries as transferable ArrayBuffers.
 */
export interface Analysis {
  model: ModelInfo;
  tokens: Token[];
  truncated: boolean;
  /** T */
  length: number;
  /** Per layer, [H, T, T] attention probabilities, zeros above the diagonal (one buffer per layer: the
   * arrays ORT returned, never copied into one 600 MB block). */
  attentions: Float32Array[];
  /** [L, T] L2 norm of each layer's attention sub-layer output (after c_proj, before the residual add). */
  attnOutNorms: Float32Array;
  /** top-k next-token predictions: k, then [T, k] ids and probabilities (descending). */
  topK: number;
  topkIds: Int32Array;
  topkProbs: Float32Array;
  /** [T] log-probability of the actual next token; NaN for the last position. */
  nextTokenLogProb: Float32Array;
  timings: { loadMs: number; runMs: number };
}

/** Optional, larger outputs requested explicitly. */
export interface AnalyzeOptions {
  topK?: number;
  /** [L, T, D] attention sub-layer outputs. */
  attnOut?: boolean;
  /** [L+1, T, D] residual stream: embeddings, then after each block (for the logit lens). */
  residuals?: boolean;
}

/** Per-sequence raw material for the layer profile (issue 5), computed for a batch of texts. */
export interface ProfileSequence {
  length: number; // valid tokens
  /** [L, length] attention sub-layer output norms of the valid tokens. */
  attnOutNorms: Float32Array;
  /** [L, H, 4] head statistics: entropy, sink mass, previous-token score, mean distance. */
  headStats?: Float32Array;
}

/** Statistics of attention-adjustment magnitudes (issue 5), for one choice of "include the first token". */
export interface LayerHistogram {
  /** Bin edges (length bins+1) and densities (length bins) of log-norms; Freedman–Diaconis bins. */
  edges: number[];
  density: number[];
}
export const HEAD_STAT_NAMES = ['entropy', 'sinkMass', 'prevToken', 'meanDistance'] as const;
export type HeadStatName = (typeof HEAD_STAT_NAMES)[number];

export interface ProfileStats {
  histograms: LayerHistogram[]; // [L]
  meanLogNorm: number[]; // [L]
  sdLogNorm: number[]; // [L]
  /** [L] number of log-norm values behind the histogram, mean and sd (optional, added by stats.ts). */
  valueCount?: number[];
  /** [L][P] mean norm per layer and token position over valid tokens (null where no valid token). */
  positionHeatmap: (number | null)[][];
  positionRegression: {
    n: number; // number of positions used (setting, default 30)
    /** [n] the token index of each regression point (1..n without the first token, 0..n-1 with it). */
    positions?: number[];
    beta0: number[]; // [L]
    beta1: number[]; // [L]
    /** [L][n] log of the mean norm at each position (null without data) and the fitted line (NaN when the fit is undefined). */
    observed: (number | null)[][];
    fitted: number[][];
  };
  /** β1 multiplies log-norm_{t-1}, β2 log-norm_{t-2}; `rows` = regression rows per layer (optional). */
  autoregression: { beta0: number[]; beta1: number[]; beta2: number[]; rows?: number[] }; // [L] each
}

export interface ProfileResult {
  version: 1;
  model: ModelInfo;
  /** Human description of the input, e.g. "reviews.jsonl (field text)". */
  source: string;
  createdAt: string;
  /** False when the run was cancelled: the statistics cover the sequences done so far. */
  complete: boolean;
  /** Valid-token count per sequence (right padding: the valid mask of sequence i is its first lengths[i] positions). */
  lengths: number[];
  truncatedCount: number;
  excludeFirst: ProfileStats;
  includeFirst: ProfileStats;
  /** [L][H][4] head statistics averaged over sequences, in HEAD_STAT_NAMES order. */
  headStats: number[][][];
  /**
   * Corpus runs: [L][H][4] index (into `lengths`) of the sequence whose own head statistic is closest to
   * the corpus mean in `headStats`: where that head is most typical (the Layer Profile opens heads there).
   */
  typicalSequence?: number[][][];
  /** Corpus runs: for each sequence (in `lengths` order), the index of its text in the profiled input. */
  sequenceTexts?: number[];
}
