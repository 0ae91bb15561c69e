// Corpus readers: every input format, the pickers, and every error a user can run into.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CorpusError, detectFormat, listCsvColumns, listJsonlFields, parseCsv, readCorpus } from '../src/engine/corpus';
import { toCsv } from '../src/engine/stats';

let dir = '';

async function write(name: string, content: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content, 'utf8');
  return file;
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'corpus-test-'));
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------ JSON Lines

test('jsonl: default field, blank lines ignored, empty texts skipped, CRLF and BOM handled', async () => {
  const file = await write('reviews.jsonl', '\uFEFF{"text":"Good film.","label":1}\r\n\r\n{"text":"  "}\n{"text":null}\n{"text":"Bad film, \\"really\\"."}\n   \n');
  const c = await readCorpus(file);
  assert.deepEqual(c.texts, ['Good film.', 'Bad film, "really".']);
  assert.equal(c.skipped, 2);
  assert.equal(c.source, 'reviews.jsonl (field text)');
});

test('jsonl: custom field and .ndjson extension', async () => {
  const file = await write('data.ndjson', '{"review":"one","id":1}\n{"review":"two","id":2}');
  const c = await readCorpus(file, { field: 'review' });
  assert.deepEqual(c.texts, ['one', 'two']);
  assert.equal(c.source, 'data.ndjson (field review)');
});

test('jsonl errors name file and line', async () => {
  const bad = await write('bad.jsonl', '{"text":"ok"}\n\n{"text": oops}\n');
  await assert.rejects(readCorpus(bad), (e: Error) => e instanceof CorpusError && /^bad\.jsonl:3: invalid JSON/.test(e.message));
  const arr = await write('arr.jsonl', '["a"]\n');
  await assert.rejects(readCorpus(arr), /arr\.jsonl:1: expected a JSON object, got an array/);
  const missing = await write('missing.jsonl', '{"text":"a"}\n{"body":"b","id":3}\n');
  await assert.rejects(readCorpus(missing), /missing\.jsonl:2: no field "text" \(fields: body, id\)/);
  const num = await write('num.jsonl', '{"text":42}\n');
  await assert.rejects(readCorpus(num), /num\.jsonl:1: field "text" is a number, expected a string/);
  const empty = await write('empty.jsonl', '{"text":""}\n\n');
  await assert.rejects(readCorpus(empty), /No texts found in empty\.jsonl \(field text\) \(1 empty skipped\)/);
});

test('listJsonlFields lists string-valued fields in order of first appearance', async () => {
  const file = await write('fields.jsonl', '{"id":1,"title":"t","text":"x"}\n{"summary":"s","text":"y","score":0.5}\n');
  assert.deepEqual(await listJsonlFields(file), ['title', 'text', 'summary']);
  const bad = await write('fields-bad.jsonl', '{"a":"x"}\nnot json\n');
  await assert.rejects(listJsonlFields(bad), /fields-bad\.jsonl:2: invalid JSON/);
});

// ------------------------------------------------------------------ CSV

test('parseCsv follows RFC 4180: quotes, embedded commas, newlines and doubled quotes', () => {
  const text = 'id,text\r\n1,"Hello, world"\r\n2,"She said ""no""."\r\n3,"line one\nline two"\n4,plain\n5,\n';
  assert.deepEqual(parseCsv(text), [
    ['id', 'text'],
    ['1', 'Hello, world'],
    ['2', 'She said "no".'],
    ['3', 'line one\nline two'],
    ['4', 'plain'],
    ['5', ''],
  ]);
  assert.deepEqual(parseCsv('a,b\n\n1,2'), [['a', 'b'], ['1', '2']], 'blank line ignored, no final newline');
  assert.deepEqual(parseCsv('a,"",c,'), [['a', '', 'c', '']], 'empty quoted and trailing empty field');
  assert.deepEqual(parseCsv('x,5" tall\n'), [['x', '5" tall']], 'quote inside an unquoted field is literal');
  assert.deepEqual(parseCsv('a\rb\r'), [['a'], ['b']], 'lone CR ends a record');
});

test('parseCsv reads back what toCsv writes', () => {
  const rows = [['plain', 'a,b', 'say "hi"'], ['multi\nline', ' padded ', ''], ['1', '-2.5', 'x']];
  assert.deepEqual(parseCsv(toCsv(['c1', 'c2', 'c3'], rows)), [['c1', 'c2', 'c3'], ...rows]);
});

test('parseCsv errors name the line', () => {
  assert.throws(() => parseCsv('a,b\n1,"open\nstill open', 'x.csv'), /x\.csv:2: unterminated quoted field/);
  assert.throws(() => parseCsv('a\n"q"z,1\n', 'y.csv'), /y\.csv:2: unexpected character "z" after a closing quote/);
});

test('csv: column "text" by default, else the first column; named column; ragged rows are empty', async () => {
  const withText = await write('reviews.csv', 'id,text,label\n1,"Great, truly great.",pos\n2,"",neg\n3\n4,"Two\nlines",pos\n');
  const c = await readCorpus(withText);
  assert.deepEqual(c.texts, ['Great, truly great.', 'Two\nlines']);
  assert.equal(c.skipped, 2);
  assert.equal(c.source, 'reviews.csv (column text)');
  const firstCol = await write('first.csv', 'review,stars\nNice,5\nMeh,2\n');
  assert.deepEqual((await readCorpus(firstCol)).texts, ['Nice', 'Meh']);
  const named = await readCorpus(withText, { column: 'label' });
  assert.deepEqual(named.texts, ['pos', 'neg', 'pos']);
  assert.equal(named.skipped, 1);
  assert.equal((await readCorpus(firstCol, { column: ' STARS ' })).source, 'first.csv (column stars)', 'case-insensitive fallback');
});

test('csv errors: unknown column, empty file, bad quoting', async () => {
  const file = await write('cols.csv', 'a,b\nx,y\n');
  await assert.rejects(readCorpus(file, { column: 'text' }), /cols\.csv: no column "text" \(columns: a, b\)/);
  const empty = await write('empty.csv', '');
  await assert.rejects(readCorpus(empty), /empty\.csv: the CSV file is empty/);
  const headerOnly = await write('header.csv', 'text\n');
  await assert.rejects(readCorpus(headerOnly), /No texts found in header\.csv/);
  const bad = await write('badquote.csv', 'text\n"never closed\n');
  await assert.rejects(readCorpus(bad), /badquote\.csv:2: unterminated quoted field/);
});

test('listCsvColumns returns the header row', async () => {
  const file = await write('hdr.csv', '\uFEFFid,"the text",label\n1,a,b\n');
  assert.deepEqual(await listCsvColumns(file), ['id', 'the text', 'label']);
  assert.deepEqual(await listCsvColumns(await write('none.csv', '')), []);
});

// ------------------------------------------------------------------ folders and plain lines

test('folder: *.txt and *.md sorted by name, one text per file, other files ignored', async () => {
  await write('docs/b.md', '# Second\n\nBody.\n');
  await write('docs/a.txt', 'First file.\n');
  await write('docs/c.TXT', 'Third.');
  await write('docs/empty.txt', '  \n\n');
  await write('docs/image.png', 'not text');
  await write('docs/sub/nested.txt', 'not read: folders are not recursive');
  const c = await readCorpus(path.join(dir, 'docs'));
  assert.deepEqual(c.texts, ['First file.', '# Second\n\nBody.', 'Third.']);
  assert.equal(c.skipped, 1);
  assert.equal(c.source, 'docs/ (4 files)');
  assert.equal(await detectFormat(path.join(dir, 'docs')), 'folder');
});

test('folder without text files is an error', async () => {
  await write('pics/x.png', '');
  await assert.rejects(readCorpus(path.join(dir, 'pics')), /No \.txt or \.md files in folder/);
});

test('any other file: one text per non-empty line', async () => {
  const file = await write('notes.log', 'first line\r\n\r\nsecond line\n   \nthird\n');
  const c = await readCorpus(file);
  assert.deepEqual(c.texts, ['first line', 'second line', 'third']);
  assert.equal(c.skipped, 2);
  assert.equal(c.source, 'notes.log (one text per line)');
  const txt = await write('single.txt', 'only one');
  assert.deepEqual((await readCorpus(txt)).texts, ['only one']);
  await assert.rejects(readCorpus(await write('blank.txt', '\n\n')), /No texts found in blank\.txt \(one text per line\) \(2 empty skipped\)/);
});

test('a missing path is a clear error', async () => {
  await assert.rejects(readCorpus(path.join(dir, 'nope.jsonl')), (e: Error) => e instanceof CorpusError && /Corpus not found: .*nope\.jsonl/.test(e.message));
  await assert.rejects(listCsvColumns(path.join(dir, 'nope.csv')), /Corpus not found/);
});

// ------------------------------------------------------------------ the bundled demo corpus

test('media/demo-corpus.jsonl: 64 distinct English texts of roughly 60 GPT-2 tokens', async () => {
  const file = path.join(__dirname, '..', 'media', 'demo-corpus.jsonl');
  const c = await readCorpus(file);
  assert.equal(c.texts.length, 64);
  assert.equal(c.skipped, 0);
  assert.equal(new Set(c.texts).size, 64);
  assert.deepEqual(await listJsonlFields(file), ['text']);
  const { encode } = require('gpt-3-encoder') as { encode: (s: string) => number[] };
  const counts = c.texts.map((t) => encode(t).length);
  assert.ok(counts.every((n) => n >= 40 && n <= 90), `token counts ${counts.join(' ')}`);
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  assert.ok(mean > 50 && mean < 70, `mean token count ${mean}`);
});
