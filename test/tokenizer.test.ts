import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as referenceEncode } from 'gpt-3-encoder';
import { GPT2Tokenizer, findSafeCut } from '../src/engine/tokenizer';
import type { Token } from '../src/engine/types';
import { gpt2TokenizerJson, writeGpt2TokenizerJson } from './fixtures/gpt2Tokenizer';

let tokenizer: GPT2Tokenizer;

before(() => {
  tokenizer = GPT2Tokenizer.fromJson(gpt2TokenizerJson());
});

function ids(text: string): number[] {
  return tokenizer.encode(text).tokens.map((t) => t.id);
}

/** Ranges are contiguous from 0, never overlap, never split a surrogate pair, and spell `text`. */
function assertRangesCover(text: string, tokens: Token[], coveredLength = text.length): void {
  let expectedStart = 0;
  for (const token of tokens) {
    assert.equal(token.start, expectedStart, `token ${JSON.stringify(token)} starts where the previous ended`);
    assert.ok(token.end >= token.start, `token ${JSON.stringify(token)} has end >= start`);
    assert.ok(!isLowSurrogate(text.charCodeAt(token.start)) || token.start === token.end,
      `token ${JSON.stringify(token)} does not start inside a surrogate pair`);
    expectedStart = token.end;
  }
  assert.equal(expectedStart, coveredLength, 'the ranges cover the text');
  assert.equal(tokens.map((t) => text.slice(t.start, t.end)).join(''), text.slice(0, coveredLength));
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

const UNICODE_SAMPLES: Record<string, string> = {
  accents: 'Café déjà vu, naïve façade, Straße, Øre',
  cjk: '中文分词测试：我们今天去公园。日本語のテキスト',
  greek: 'Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο',
  skinTone: 'Nice 👍🏽 work',
  family: 'Family: 👨‍👩‍👧 at home',
  flags: 'Flags 🇫🇷🇯🇵🇺🇸 and 🏳️‍🌈',
  emojiOnly: '👍',
  crlf: 'line one\r\nline two\r\n\r\nline four\r\n',
  tabs: '\tindented\t\tcode();\n\t}',
  spaces: 'multiple     spaces   here  ',
  leadingSpaces: '   leading spaces',
  onlyWhitespace: ' \n\t \r\n ',
  mixedScripts: 'abc中δ👍🏽e\u0301 x',
  combining: 'e\u0301\u0301 n\u0303',
  zeroWidth: 'a\u200bb\ufeffc',
  byteOrderMark: '\ufeffstarts with a BOM',
  endOfText: 'before<|endoftext|>after <|endoftext|> more',
  mathSymbols: '∑ x² ≤ ∞ → 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
};

describe('GPT2Tokenizer ids', () => {
  test('the quick brown fox has the known GPT-2 ids', () => {
    assert.deepEqual(ids('The quick brown fox jumps over the lazy dog.'),
      [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13]);
  });

  test('known single words', () => {
    assert.deepEqual(ids(' hello'), [23748]);
    assert.deepEqual(ids('Hello world'), [15496, 995]);
  });

  test('ids match the reference GPT-2 encoder (gpt-3-encoder) on varied text', () => {
    for (const [name, text] of Object.entries(UNICODE_SAMPLES)) {
      if (text.includes('<|endoftext|>')) continue; // the reference encoder has no special tokens
      assert.deepEqual(ids(text), referenceEncode(text), name);
    }
    const contractions = "I'd say it's what you're told, we've seen I'm sure they'll DON'T";
    assert.deepEqual(ids(contractions), referenceEncode(contractions));
  });

  test('<|endoftext|> in the text becomes the single end-of-text token', () => {
    const tokens = tokenizer.encode('a<|endoftext|>b').tokens;
    assert.deepEqual(tokens.map((t) => t.id), [64, 50256, 65]);
    assert.deepEqual(tokens[1], { id: 50256, text: '<|endoftext|>', start: 1, end: 14 });
  });

  test('vocabulary size, end-of-text id and token texts', () => {
    assert.equal(tokenizer.vocabSize, 50257);
    assert.equal(tokenizer.eosId, 50256);
    assert.equal(tokenizer.tokenText(50256), '<|endoftext|>');
    assert.equal(tokenizer.tokenText(220), ' ');
    assert.equal(tokenizer.tokenText(2068), ' quick');
    assert.equal(tokenizer.tokenText(198), '\n');
    assert.throws(() => tokenizer.tokenText(50257), /not in the vocabulary/);
    assert.throws(() => tokenizer.tokenText(-1), /not in the vocabulary/);
  });
});

describe('GPT2Tokenizer decode', () => {
  test('decode(encode(text)) is the text', () => {
    for (const [name, text] of Object.entries(UNICODE_SAMPLES)) {
      assert.equal(tokenizer.decode(ids(text)), text, name);
    }
  });

  test('decode keeps spaces exactly (no clean-up of " ." or " \'s")', () => {
    const text = "Hello , world . It 's ok !";
    assert.equal(tokenizer.decode(ids(text)), text);
  });

  test('decode of nothing is the empty string; unknown ids throw', () => {
    assert.equal(tokenizer.decode([]), '');
    assert.throws(() => tokenizer.decode([15496, 99999]), /99999 is not in the vocabulary/);
  });
});

describe('GPT2Tokenizer offsets', () => {
  test('unicode, emoji, whitespace and special-token texts round-trip through their ranges', () => {
    for (const [name, text] of Object.entries(UNICODE_SAMPLES)) {
      const { tokens, truncated } = tokenizer.encode(text);
      assert.equal(truncated, false, name);
      assert.ok(tokens.length > 0, name);
      assertRangesCover(text, tokens);
    }
  });

  test('the empty string has no tokens', () => {
    assert.deepEqual(tokenizer.encode(''), { tokens: [], truncated: false });
  });

  test('ASCII token text equals the slice it covers', () => {
    const text = 'The quick brown fox jumps over the lazy dog.\r\n\tIt  barked: "Woof!" (twice), 42 times?';
    const { tokens } = tokenizer.encode(text);
    for (const token of tokens) assert.equal(token.text, text.slice(token.start, token.end));
    assert.deepEqual(tokens.slice(0, 2), [
      { id: 464, text: 'The', start: 0, end: 3 },
      { id: 2068, text: ' quick', start: 3, end: 9 },
    ]);
  });

  test('a character split across tokens belongs to the token holding its first byte', () => {
    // " 👍" is two tokens: " " plus the first three bytes of the emoji, then its last byte.
    const text = 'a 👍';
    const { tokens } = tokenizer.encode(text);
    assert.deepEqual(tokens.map((t) => t.id), referenceEncode(text));
    assert.deepEqual(tokens.map((t) => t.id), [64, 50169, 235]);
    assert.deepEqual(tokens[1], { id: 50169, text: ' \ufffd', start: 1, end: 4 });
    assert.deepEqual(tokens[2], { id: 235, text: '\ufffd', start: 4, end: 4 });
  });

  test('non-ASCII token texts decode their own bytes, with U+FFFD for split characters', () => {
    const text = 'Straße 中文';
    const { tokens } = tokenizer.encode(text);
    for (const token of tokens) assert.equal(token.text, tokenizer.tokenText(token.id));
    // "文" is split in two tokens: the first holds its range, each shows one U+FFFD.
    assert.deepEqual(tokens.map((t) => t.id), referenceEncode(text));
    assert.deepEqual(tokens.map((t) => t.text), ['Stra', 'ß', 'e', ' ', '中', '\ufffd', '\ufffd']);
    assert.deepEqual(tokens.slice(-2).map((t) => [t.start, t.end]), [[8, 9], [9, 9]]);
  });

  test('a lone surrogate is encoded like U+FFFD and keeps its one-unit range', () => {
    const text = 'x\ud800y';
    const { tokens } = tokenizer.encode(text);
    assertRangesCover(text, tokens);
    assert.equal(tokenizer.decode(tokens.map((t) => t.id)), 'x\ufffdy');
  });

  test('100 KB of mixed text: ranges cover it and decode gives it back', () => {
    const paragraph = 'The quick brown fox, 中文 é ß, jumps over 👍🏽 the lazy dog!\r\n\t  ';
    const text = paragraph.repeat(Math.ceil(100_000 / paragraph.length));
    const { tokens, truncated } = tokenizer.encode(text);
    assert.equal(truncated, false);
    assertRangesCover(text, tokens);
    assert.equal(tokenizer.decode(tokens.map((t) => t.id)), text);
  });
});

describe('GPT2Tokenizer truncation', () => {
  const text = 'The quick brown fox jumps over the lazy dog. 👍🏽 Straße!';

  test('maxTokens keeps the first tokens of the full encoding', () => {
    const full = tokenizer.encode(text).tokens;
    for (let max = 0; max < full.length; max++) {
      const { tokens, truncated } = tokenizer.encode(text, max);
      assert.equal(truncated, true, `max ${max}`);
      assert.deepEqual(tokens, full.slice(0, max), `max ${max}`);
      assertRangesCover(text, tokens, max === 0 ? 0 : tokens[max - 1].end);
    }
  });

  test('maxTokens at or above the token count does not truncate', () => {
    const full = tokenizer.encode(text).tokens;
    assert.deepEqual(tokenizer.encode(text, full.length), { tokens: full, truncated: false });
    assert.deepEqual(tokenizer.encode(text, full.length + 100), { tokens: full, truncated: false });
  });

  test('long texts truncated to 1024 tokens match the start of the full encoding', () => {
    // Long enough for more than 1024 tokens; some need the prefix to grow, some have no place to cut.
    const samples = {
      prose: 'The quick brown fox jumps over the lazy dog and runs away. '.repeat(500),
      cjk: '中文分词测试，我们今天去公园。'.repeat(300),
      longWord: 'supercalifragilistic'.repeat(1000),
      longTokens: `x ${'='.repeat(64)} `.repeat(600),
      mixed: ('word '.repeat(300) + '\n\n' + 'ab中'.repeat(1000)).repeat(2),
      specialTokens: 'word<|endoftext|>'.repeat(1000),
      contractions: "they're sure it's fine, isn't it? I'd've known. ".repeat(300),
      greekAndMarks: 'Η γρήγορη αλεπού e\u0301\u0301 n\u0303, 𝔘𝔫𝔦 x2y3 '.repeat(300),
    };
    for (const [name, sample] of Object.entries(samples)) {
      const full = tokenizer.encode(sample).tokens;
      const { tokens, truncated } = tokenizer.encode(sample, 1024);
      assert.equal(truncated, full.length > 1024, name);
      assert.deepEqual(tokens, full.slice(0, 1024), name);
    }
  });

  test('encoding up to any safe cut gives exactly the first tokens of the whole text', () => {
    const samples = [
      'The quick brown fox jumps over the lazy dog. ',
      '中文分词测试，我们今天去公园。',
      'word<|endoftext|>',
      "they're sure it's fine, isn't it? I'd've known. ",
      'Η γρήγορη αλεπού e\u0301\u0301 n\u0303, 𝔘𝔫𝔦 x2y3 👍🏽 ',
      'line one\r\nline  two\r\n\r\n\tx  ',
      'Paragraph one.\n\nParagraph two.\n\n',
    ];
    for (const unit of samples) {
      const text = unit.repeat(4);
      const full = ids(text);
      for (let target = 0; target < text.length; target++) {
        const cut = findSafeCut(text, target, ['<|endoftext|>']);
        assert.ok(cut >= target && cut <= text.length);
        if (cut === text.length) continue;
        const prefix = ids(text.slice(0, cut));
        assert.deepEqual(prefix, full.slice(0, prefix.length), `cut at ${cut} of ${JSON.stringify(text)}`);
      }
    }
  });

  test('invalid maxTokens throws', () => {
    assert.throws(() => tokenizer.encode(text, -1), RangeError);
    assert.throws(() => tokenizer.encode(text, 2.5), RangeError);
    assert.throws(() => tokenizer.encode(text, NaN), RangeError);
  });
});

describe('GPT2Tokenizer.fromFile', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokenizer-test-'));
  });

  test('loads a written tokenizer.json', async () => {
    const path = join(dir, 'tokenizer.json');
    writeGpt2TokenizerJson(path);
    const loaded = await GPT2Tokenizer.fromFile(path);
    assert.deepEqual(loaded.encode('Hello world').tokens.map((t) => t.id), [15496, 995]);
  });

  test('a missing file names the path', async () => {
    const path = join(dir, 'missing.json');
    await assert.rejects(GPT2Tokenizer.fromFile(path), (err: Error) =>
      err.message.includes(path) && /Cannot read tokenizer file/.test(err.message));
  });

  test('malformed JSON names the path and says it is not JSON', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"model": {"type": "BPE", ');
    await assert.rejects(GPT2Tokenizer.fromFile(path), (err: Error) =>
      err.message.includes(path) && /not valid JSON/.test(err.message));
  });

  test('a wrong tokenizer kind names the path and the problem', async () => {
    const cases: [string, object, RegExp][] = [
      ['wordpiece.json', { ...gpt2TokenizerJson(), model: { type: 'WordPiece', vocab: {} } }, /model type is "WordPiece"/],
      ['novocab.json', { ...gpt2TokenizerJson(), model: { type: 'BPE', merges: [] } }, /missing "model.vocab"/],
      ['nomodel.json', { added_tokens: [] }, /missing "model"/],
      ['array.json', [], /expected a JSON object/],
      ['metaspace.json', { ...gpt2TokenizerJson(), pre_tokenizer: { type: 'Metaspace' } }, /pre_tokenizer is not "ByteLevel"/],
      ['noeos.json', { ...gpt2TokenizerJson(), added_tokens: [], model: { type: 'BPE', vocab: { a: 0 }, merges: [] } },
        /no <\|endoftext\|> token/],
    ];
    for (const [file, json, problem] of cases) {
      const path = join(dir, file);
      writeFileSync(path, JSON.stringify(json));
      await assert.rejects(GPT2Tokenizer.fromFile(path), (err: Error) => {
        assert.ok(err.message.includes(path), `${file}: ${err.message}`);
        assert.match(err.message, problem, file);
        return true;
      });
    }
  });

  test('cleanup', () => {
    rmSync(dir, { recursive: true, force: true });
  });
});
