// Corpus readers for batch profiling (issue 5): JSON Lines, CSV (RFC 4180), a folder of .txt/.md files, or
// any other text file with one text per line. Pure Node (fs/path); no VS Code imports.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface CorpusOptions {
  /** JSON Lines: the string field holding the text (default "text"). */
  field?: string;
  /** CSV: the header name of the text column (default "text" when present, else the first column). */
  column?: string;
}

export interface Corpus {
  texts: string[];
  /** Human description of the input, e.g. "reviews.jsonl (field text)". */
  source: string;
  /** Records whose text is empty or whitespace only (not counted: blank lines of .jsonl/.csv files). */
  skipped: number;
}

export type CorpusFormat = 'jsonl' | 'csv' | 'folder' | 'lines';

/** An input problem the user can fix (bad path, bad JSON, missing field...). */
export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

const JSONL_EXTENSIONS = ['.jsonl', '.ndjson'];
const CSV_EXTENSIONS = ['.csv'];
const FOLDER_TEXT_EXTENSIONS = ['.txt', '.md'];
/** Records scanned by the field picker. */
const FIELD_SCAN_RECORDS = 200;

/** Reads a corpus; the format follows from the path (folder, .jsonl/.ndjson, .csv, anything else = lines). */
export async function readCorpus(input: string, opts: CorpusOptions = {}): Promise<Corpus> {
  const format = await detectFormat(input);
  const corpus = await READERS[format](input, opts);
  if (corpus.texts.length === 0) {
    throw new CorpusError(`No texts found in ${corpus.source}` + (corpus.skipped > 0 ? ` (${corpus.skipped} empty skipped)` : ''));
  }
  return corpus;
}

/** The corpus format of a path; throws a CorpusError when it does not exist. */
export async function detectFormat(input: string): Promise<CorpusFormat> {
  const stat = await fs.stat(input).catch((err: NodeJS.ErrnoException) => {
    throw new CorpusError(err.code === 'ENOENT' ? `Corpus not found: ${input}` : `Cannot read corpus ${input}: ${err.message}`);
  });
  if (stat.isDirectory()) return 'folder';
  const ext = path.extname(input).toLowerCase();
  if (JSONL_EXTENSIONS.includes(ext)) return 'jsonl';
  if (CSV_EXTENSIONS.includes(ext)) return 'csv';
  return 'lines';
}

const READERS: Record<CorpusFormat, (input: string, opts: CorpusOptions) => Promise<Corpus>> = {
  jsonl: readJsonl,
  csv: readCsv,
  folder: readFolder,
  lines: readLines,
};

// ------------------------------------------------------------------ JSON Lines

interface JsonlRecord {
  line: number;
  value: Record<string, unknown>;
}

/** Parses the non-blank lines of a JSON Lines file; each must be a JSON object (errors name file:line). */
function* jsonlRecords(text: string, name: string): Generator<JsonlRecord> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new CorpusError(`${name}:${i + 1}: invalid JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new CorpusError(`${name}:${i + 1}: expected a JSON object, got ${describeJson(value)}`);
    }
    yield { line: i + 1, value: value as Record<string, unknown> };
  }
}

async function readJsonl(input: string, opts: CorpusOptions): Promise<Corpus> {
  const field = opts.field ?? 'text';
  const name = path.basename(input);
  const texts: string[] = [];
  let skipped = 0;
  for (const { line, value } of jsonlRecords(await readText(input), name)) {
    if (!(field in value)) {
      throw new CorpusError(`${name}:${line}: no field "${field}" (fields: ${Object.keys(value).join(', ') || 'none'})`);
    }
    const text = value[field];
    if (text === null || (typeof text === 'string' && text.trim() === '')) {
      skipped++;
      continue;
    }
    if (typeof text !== 'string') throw new CorpusError(`${name}:${line}: field "${field}" is ${describeJson(text)}, expected a string`);
    texts.push(text);
  }
  return { texts, source: `${name} (field ${field})`, skipped };
}

/** String-valued fields of the first records, in order of first appearance (for the field picker). */
export async function listJsonlFields(file: string): Promise<string[]> {
  const fields = new Set<string>();
  let scanned = 0;
  for (const { value } of jsonlRecords(await readText(file), path.basename(file))) {
    for (const [key, v] of Object.entries(value)) if (typeof v === 'string') fields.add(key);
    if (++scanned >= FIELD_SCAN_RECORDS) break;
  }
  return [...fields];
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

// ------------------------------------------------------------------ CSV (RFC 4180)

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

/**
 * RFC 4180 records: comma-separated fields, CRLF or LF record ends, fields optionally in double quotes
 * (which may contain commas, line breaks and "" for a quote). A quote inside an unquoted field is kept
 * literally. A record that is one empty field (a blank line) is not yielded.
 */
export function* csvRecords(text: string, name = 'CSV'): Generator<CsvRecord> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new CorpusError(`${name}:${start}: unterminated quoted field`);
          const ch = text[i];
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          field += ch;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new CorpusError(`${name}:${line}: unexpected character ${JSON.stringify(text[i])} after a closing quote`);
        }
      } else {
        const end = nextDelimiter(text, i);
        field = text.slice(i, end);
        i = end;
      }
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    if (!(fields.length === 1 && fields[0] === '')) yield { line: start, fields };
  }
}

function nextDelimiter(text: string, from: number): number {
  let i = from;
  while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
  return i;
}

/** All records of a CSV text (see `csvRecords`). */
export function parseCsv(text: string, name?: string): string[][] {
  return [...csvRecords(text, name)].map((r) => r.fields);
}

async function readCsv(input: string, opts: CorpusOptions): Promise<Corpus> {
  const name = path.basename(input);
  const records = csvRecords(await readText(input), name);
  const header = records.next();
  if (header.done) throw new CorpusError(`${name}: the CSV file is empty (expected a header row)`);
  const columns = header.value.fields;
  const index = pickColumn(columns, opts.column, name);
  const texts: string[] = [];
  let skipped = 0;
  for (const { fields } of records) {
    const text = fields[index] ?? '';
    if (text.trim() === '') skipped++;
    else texts.push(text);
  }
  return { texts, source: `${name} (column ${columns[index]})`, skipped };
}

function pickColumn(columns: string[], wanted: string | undefined, name: string): number {
  if (wanted === undefined) {
    const text = columns.indexOf('text');
    return text >= 0 ? text : 0;
  }
  const exact = columns.indexOf(wanted);
  if (exact >= 0) return exact;
  const loose = columns.findIndex((c) => c.trim().toLowerCase() === wanted.trim().toLowerCase());
  if (loose >= 0) return loose;
  throw new CorpusError(`${name}: no column "${wanted}" (columns: ${columns.join(', ')})`);
}

/** Header names of a CSV file (for the column picker). */
export async function listCsvColumns(file: string): Promise<string[]> {
  const header = csvRecords(await readText(file), path.basename(file)).next();
  return header.done ? [] : header.value.fields;
}

// ------------------------------------------------------------------ folder and plain lines

async function readFolder(input: string): Promise<Corpus> {
  const name = `${path.basename(path.resolve(input))}/`;
  const entries = await fs.readdir(input, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && FOLDER_TEXT_EXTENSIONS.includes(path.extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) throw new CorpusError(`No ${FOLDER_TEXT_EXTENSIONS.join(' or ')} files in folder ${input}`);
  const texts: string[] = [];
  let skipped = 0;
  for (const file of files) {
    const text = (await readText(path.join(input, file))).trimEnd();
    if (text.trim() === '') skipped++;
    else texts.push(text);
  }
  return { texts, source: `${name} (${files.length} files)`, skipped };
}

async function readLines(input: string): Promise<Corpus> {
  const lines = (await readText(input)).split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop(); // the final newline ends a line
  const texts = lines.filter((l) => l.trim() !== '');
  return { texts, source: `${path.basename(input)} (one text per line)`, skipped: lines.length - texts.length };
}

/** UTF-8 file contents without a byte-order mark. */
async function readText(file: string): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CorpusError(err.code === 'ENOENT' ? `Corpus not found: ${file}` : `Cannot read ${file}: ${err.message}`);
  });
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
