// GPT-2 byte-level BPE tokenizer with exact UTF-16 offsets. Pure Node: never import 'vscode' here.
//
// Ids come from @huggingface/tokenizers (which gives no offsets). Offsets are recovered from the
// byte-level pieces: every GPT-2 token stands for a run of UTF-8 bytes, the runs concatenate to the
// UTF-8 encoding of the input, and one walk over the input maps byte positions to UTF-16 positions.
//
// Offset rule for characters split across tokens (emoji and CJK often are): a character belongs to the
// token that holds its FIRST byte. A token made only of the remaining bytes of such a character gets an
// empty range [x, x) at the end of that character. So the ranges are contiguous, never overlap, never
// split a surrogate pair, and (when not truncated) cover the whole input:
//   tokens.map((t) => text.slice(t.start, t.end)).join('') === text
// `Token.text` is the token's own bytes decoded as UTF-8, with U+FFFD for each incomplete character.
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import type { Token } from './types';

const EOS_TOKEN = '<|endoftext|>';

/** Characters searched past the target length for a safe place to cut a long input (see findSafeCut). */
const SAFE_CUT_SEARCH = 4096;
/** First guess of input characters needed per token when encoding only a prefix of a long input. */
const CHARS_PER_TOKEN_GUESS = 8;

export interface EncodeResult {
  tokens: Token[];
  /** True when the text has more than maxTokens tokens and only the first maxTokens are returned. */
  truncated: boolean;
}

interface TokenizerJsonShape {
  model: { type?: unknown; vocab: Record<string, number>; merges: unknown[] };
  added_tokens: { id: number; content: string }[];
  normalizer?: unknown;
  pre_tokenizer: { type: 'ByteLevel'; use_regex?: boolean };
}

export class GPT2Tokenizer {
  readonly eosId: number;
  private readonly hf: Tokenizer;
  /** UTF-8 bytes of each token id (undefined for ids not in the vocabulary). */
  private readonly bytesById: (Uint8Array | undefined)[];
  private readonly textById: (string | undefined)[] = [];
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  /** Texts of the added tokens (<|endoftext|>), which a prefix cut must not split. */
  private readonly specialTokens: string[];
  /** Whether a long text may be encoded prefix by prefix (not when the whole text is one BPE word). */
  private readonly canEncodePrefix: boolean;

  private constructor(json: TokenizerJsonShape) {
    // The library insists that these keys exist; a missing one means "none".
    this.hf = new Tokenizer({ normalizer: null, decoder: null, post_processor: null, ...json }, {});
    this.bytesById = buildTokenBytes(json);
    this.eosId = findEosId(json);
    this.specialTokens = json.added_tokens.map((token) => token.content);
    this.canEncodePrefix = json.pre_tokenizer.use_regex !== false;
  }

  /** Load a Hugging Face tokenizer.json. Errors name the file and what is wrong with it. */
  static async fromFile(tokenizerJsonPath: string): Promise<GPT2Tokenizer> {
    let source: string;
    try {
      source = await readFile(tokenizerJsonPath, 'utf8');
    } catch (err) {
      throw new Error(`Cannot read tokenizer file ${tokenizerJsonPath}: ${errorMessage(err)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(source);
    } catch (err) {
      throw new Error(`Tokenizer file ${tokenizerJsonPath} is not valid JSON: ${errorMessage(err)}`);
    }
    try {
      return GPT2Tokenizer.fromJson(json as object);
    } catch (err) {
      throw new Error(`Tokenizer file ${tokenizerJsonPath} is not usable: ${errorMessage(err)}`);
    }
  }

  /** Build from a parsed tokenizer.json object (a GPT-2-style byte-level BPE tokenizer). */
  static fromJson(json: object): GPT2Tokenizer {
    const checked = validateTokenizerJson(json);
    try {
      return new GPT2Tokenizer(checked);
    } catch (err) {
      throw new Error(`invalid tokenizer.json: ${errorMessage(err)}`);
    }
  }

  /** Number of ids: one more than the largest id in the vocabulary and added tokens. */
  get vocabSize(): number {
    return this.bytesById.length;
  }

  /**
   * Tokenize `text` with exact UTF-16 ranges. With a finite `maxTokens`, only the first maxTokens tokens
   * are returned (the same tokens as the full encoding would start with) and `truncated` tells whether
   * any were dropped; a long text is then encoded only as far as needed.
   */
  encode(text: string, maxTokens = Infinity): EncodeResult {
    checkMaxTokens(maxTokens);
    const ids = this.encodeIdsUpTo(text, maxTokens);
    const truncated = ids.length > maxTokens;
    const kept = truncated ? ids.slice(0, maxTokens) : ids;
    return { tokens: this.withOffsets(text, kept), truncated };
  }

  /** Text of a sequence of ids: their bytes concatenated and decoded as UTF-8 (exact inverse of encode). */
  decode(ids: number[]): string {
    const pieces = ids.map((id) => this.bytesOf(id));
    const total = pieces.reduce((sum, bytes) => sum + bytes.length, 0);
    const all = new Uint8Array(total);
    let offset = 0;
    for (const bytes of pieces) {
      all.set(bytes, offset);
      offset += bytes.length;
    }
    return this.decoder.decode(all);
  }

  /** Display text of one token on its own (U+FFFD where it holds only part of a character). */
  tokenText(id: number): string {
    let text = this.textById[id];
    if (text === undefined) {
      text = this.decoder.decode(this.bytesOf(id));
      this.textById[id] = text;
    }
    return text;
  }

  private bytesOf(id: number): Uint8Array {
    const bytes = Number.isInteger(id) ? this.bytesById[id] : undefined;
    if (bytes === undefined) {
      throw new RangeError(`Token id ${id} is not in the vocabulary (0..${this.vocabSize - 1})`);
    }
    return bytes;
  }

  private encodeIds(text: string): number[] {
    if (text.length === 0) return [];
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * Ids of `text`, or of a prefix of it that already has more than maxTokens tokens. Grows the prefix
   * geometrically, so a 100 KB text truncated to 1024 tokens costs about as much as a few KB of text.
   */
  private encodeIdsUpTo(text: string, maxTokens: number): number[] {
    const usePrefix = Number.isFinite(maxTokens) && this.canEncodePrefix;
    let target = usePrefix ? (maxTokens + 1) * CHARS_PER_TOKEN_GUESS : text.length;
    for (;;) {
      const cut = target >= text.length ? text.length : findSafeCut(text, target, this.specialTokens);
      const ids = this.encodeIds(cut === text.length ? text : text.slice(0, cut));
      if (cut === text.length || ids.length > maxTokens) return ids;
      target = cut * 2;
    }
  }

  private withOffsets(text: string, ids: number[]): Token[] {
    const starts = utf16Starts(text, ids.map((id) => this.bytesOf(id)));
    return ids.map((id, i) => ({ id, text: this.tokenText(id), start: starts[i], end: starts[i + 1] }));
  }
}

/**
 * UTF-16 start of each piece, plus one final entry for the end of the last piece, where each character
 * belongs to the piece holding its first byte. Also checks that the pieces spell the text's UTF-8 bytes.
 */
function utf16Starts(text: string, pieces: Uint8Array[]): number[] {
  const starts: number[] = [];
  const char = new CharCursor(text);
  for (const piece of pieces) {
    starts.push(char.byteIndex === 0 ? char.start : char.end);
    for (const byte of piece) char.consume(byte);
  }
  starts.push(char.byteIndex === 0 ? char.start : char.end);
  return starts;
}

/** Walks the UTF-8 bytes of a string one byte at a time, knowing which UTF-16 character each belongs to. */
class CharCursor {
  /** UTF-16 range [start, end) of the current character. */
  start = 0;
  end = 0;
  /** Index of the next byte within the current character; 0 at a character boundary. */
  byteIndex = 0;
  private readonly bytes: number[] = [];

  constructor(private readonly text: string) {
    this.load(0);
  }

  consume(byte: number): void {
    if (this.start >= this.text.length || this.bytes[this.byteIndex] !== byte) {
      throw new Error(`tokenizer output does not spell the input text (at UTF-16 offset ${this.start}); ` +
        'only byte-level BPE tokenizers without a normalizer are supported');
    }
    this.byteIndex++;
    if (this.byteIndex === this.bytes.length) this.load(this.end);
  }

  private load(start: number): void {
    this.start = start;
    this.byteIndex = 0;
    this.bytes.length = 0;
    if (start >= this.text.length) {
      this.end = start;
      return;
    }
    const codePoint = this.text.codePointAt(start) as number;
    this.end = start + (codePoint > 0xffff ? 2 : 1);
    pushUtf8(isSurrogate(codePoint) ? 0xfffd : codePoint, this.bytes);
  }
}

/** UTF-8 encoding of one code point (lone surrogates are encoded as U+FFFD by the caller, as TextEncoder does). */
function pushUtf8(codePoint: number, out: number[]): void {
  if (codePoint < 0x80) {
    out.push(codePoint);
  } else if (codePoint < 0x800) {
    out.push(0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f));
  } else if (codePoint < 0x10000) {
    out.push(0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f));
  } else {
    out.push(0xf0 | (codePoint >> 18), 0x80 | ((codePoint >> 12) & 0x3f),
      0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f));
  }
}

/**
 * A cut position at or after `target` where tokenizing text.slice(0, cut) gives exactly the first tokens
 * of the whole text, or text.length when there is none within SAFE_CUT_SEARCH characters.
 *
 * Safe: right after a letter that is followed by a non-letter ("fox| jumps", "园|。", "x|2"), and not inside
 * a special token such as <|endoftext|>. In GPT-2's pre-tokenizer pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * the piece holding that letter ends there whether the text goes on or not (a letter run stops at a
 * non-letter or at the end; no contraction ends in a letter followed by a non-letter unless it ends at that letter;
 * whitespace and punctuation runs stop at the letter), so every earlier piece is the same, and BPE never
 * merges across pieces. Only BMP characters are checked, which keeps surrogate pairs whole.
 * Exported for tests only.
 */
export function findSafeCut(text: string, target: number, specialTokens: readonly string[]): number {
  const limit = Math.min(text.length, target + SAFE_CUT_SEARCH);
  for (let i = Math.max(target, 1); i < limit; i++) {
    if (isBmpLetter(text.charCodeAt(i - 1)) && isBmpNonLetter(text.charCodeAt(i)) &&
      !insideSpecialToken(text, i, specialTokens)) {
      return i;
    }
  }
  return text.length;
}

const LETTER = /^\p{L}$/u;

function isSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdfff;
}

function isBmpLetter(code: number): boolean {
  return !isSurrogate(code) && LETTER.test(String.fromCharCode(code));
}

function isBmpNonLetter(code: number): boolean {
  return !isSurrogate(code) && !LETTER.test(String.fromCharCode(code));
}

/** Whether some occurrence of a special token starts before `cut` and ends after it. */
function insideSpecialToken(text: string, cut: number, specialTokens: readonly string[]): boolean {
  return specialTokens.some((content) =>
    text.slice(Math.max(0, cut - content.length + 1), cut + content.length - 1).includes(content));
}

/** GPT-2's reversible map from the 256 byte values to printable characters (e.g. 0x20 → 'Ġ'). */
function byteLevelDecoderTable(): Map<string, number> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const code = printable.includes(b) ? b : 256 + shifted++;
    table.set(String.fromCharCode(code), b);
  }
  return table;
}

/** UTF-8 bytes of every id: added tokens are literal text, vocabulary entries are byte-level strings. */
function buildTokenBytes(json: TokenizerJsonShape): (Uint8Array | undefined)[] {
  const table = byteLevelDecoderTable();
  const encoder = new TextEncoder();
  const bytesById: (Uint8Array | undefined)[] = [];
  const added = new Set(json.added_tokens.map((token) => token.id));
  for (const token of json.added_tokens) bytesById[token.id] = encoder.encode(token.content);
  for (const [piece, id] of Object.entries(json.model.vocab)) {
    if (added.has(id)) continue;
    bytesById[id] = byteLevelBytes(piece, id, table);
  }
  return bytesById;
}

function byteLevelBytes(piece: string, id: number, table: Map<string, number>): Uint8Array {
  const bytes = new Uint8Array(piece.length);
  for (let i = 0; i < piece.length; i++) {
    const byte = table.get(piece[i]);
    if (byte === undefined) {
      throw new Error(`vocabulary entry ${JSON.stringify(piece)} (id ${id}) is not a byte-level token`);
    }
    bytes[i] = byte;
  }
  return bytes;
}

function findEosId(json: TokenizerJsonShape): number {
  const added = json.added_tokens.find((token) => token.content === EOS_TOKEN);
  const id = added?.id ?? json.model.vocab[EOS_TOKEN];
  if (id === undefined) throw new Error(`no ${EOS_TOKEN} token in added_tokens or the vocabulary`);
  return id;
}

/** Check what this class relies on, so a wrong file fails with a clear message instead of odd tokens. */
function validateTokenizerJson(json: unknown): TokenizerJsonShape {
  const problem = tokenizerJsonProblem(json);
  if (problem) throw new Error(`invalid tokenizer.json: ${problem}`);
  return json as TokenizerJsonShape;
}

function tokenizerJsonProblem(json: unknown): string | undefined {
  if (!isObject(json)) return 'expected a JSON object';
  const model = json.model;
  if (!isObject(model)) return 'missing "model"';
  if (model.type !== undefined && model.type !== 'BPE') {
    return `model type is ${JSON.stringify(model.type)}, expected "BPE" (GPT-2 family)`;
  }
  if (!isObject(model.vocab)) return 'missing "model.vocab"';
  if (!Object.values(model.vocab).every(isTokenId)) return '"model.vocab" has ids that are not non-negative integers';
  if (!Array.isArray(model.merges)) return 'missing "model.merges"';
  if (!Array.isArray(json.added_tokens)) return 'missing "added_tokens"';
  if (!json.added_tokens.every((t) => isObject(t) && isTokenId(t.id) && typeof t.content === 'string')) {
    return '"added_tokens" entries need an integer "id" and a string "content"';
  }
  if (json.normalizer !== null && json.normalizer !== undefined) {
    return 'has a normalizer; only GPT-2-style tokenizers without one are supported';
  }
  const preTokenizer = json.pre_tokenizer;
  if (!isObject(preTokenizer) || preTokenizer.type !== 'ByteLevel') {
    return 'pre_tokenizer is not "ByteLevel"; only GPT-2-style byte-level BPE tokenizers are supported';
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTokenId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

function checkMaxTokens(maxTokens: number): void {
  if (!(maxTokens === Infinity || (Number.isInteger(maxTokens) && maxTokens >= 0))) {
    throw new RangeError(`maxTokens must be a non-negative integer or Infinity, got ${maxTokens}`);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
