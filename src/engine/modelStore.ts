// The model store: finds a GPT-2 checkpoint (config.json, tokenizer.json, model.safetensors) in an existing
// Hugging Face cache or in our own storage folder, and otherwise downloads it from the hub. Pure Node:
// node:http/node:https (which VS Code's extension host patches for proxy support), no other dependencies.
//
// Layout of our own cache:  ${storageDir}/models/${owner}--${name}[@${revision}]/{config.json,tokenizer.json,
// model.safetensors,.download.json}. Each file is written to `${file}.partial` and renamed only once its size (and
// sha256, when the hub tells it) is verified, so a file that exists under its final name is always complete.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Short ids offered in the model picker. Any other `owner/name` GPT-2 repository works too. */
export const KNOWN_MODELS: readonly string[] = ['gpt2', 'distilgpt2', 'gpt2-medium', 'gpt2-large', 'gpt2-xl'];

/** The files a model folder must hold, in download order (small first, so junk repos fail fast). */
export const MODEL_FILES = ['config.json', 'tokenizer.json', 'model.safetensors'] as const;
export type ModelFile = (typeof MODEL_FILES)[number];

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';
const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 10;
const METADATA_FILE = '.download.json';
const PARTIAL_SUFFIX = '.partial';

/** Current canonical ids of the legacy short ids; the hub still redirects the short ones. */
const CANONICAL_IDS: Readonly<Record<string, string>> = {
  gpt2: 'openai-community/gpt2',
  distilgpt2: 'distilbert/distilgpt2',
  'gpt2-medium': 'openai-community/gpt2-medium',
  'gpt2-large': 'openai-community/gpt2-large',
  'gpt2-xl': 'openai-community/gpt2-xl',
};

export interface DownloadProgress {
  repo: string;
  file: ModelFile;
  /** 0-based index of this file among the files this call downloads. */
  fileIndex: number;
  fileCount: number;
  /** Bytes of this file received so far. */
  bytes: number;
  totalBytes: number | null;
  /** Bytes of all files this call downloads, received so far. */
  overallBytes: number;
  /** Null when the size of some file is not known in advance. */
  overallTotal: number | null;
}

export interface ModelStoreOptions {
  /** Folder for our own cache (the extension passes its globalStorage path). */
  storageDir: string;
  /** Hub URL. Default: env HF_ENDPOINT, then https://huggingface.co. */
  endpoint?: string;
  /** Hugging Face home whose `hub/` cache is reused. Default: env HF_HUB_CACHE / HF_HOME, then ~/.cache/huggingface. */
  hfHome?: string;
  /** Access token for private or gated repositories. Default: env HF_TOKEN. */
  token?: string;
  /** Branch, tag or commit. Default "main". */
  revision?: string;
  /** Abort a request after this long without data. Default 60 s. */
  timeoutMs?: number;
  /** Environment to read HF_* variables from. Default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export type DownloadErrorKind =
  | 'cancelled'
  | 'http'
  | 'network'
  | 'size'
  | 'checksum'
  | 'invalid-repo'
  | 'unsupported'
  | 'io';

export interface DownloadErrorDetails {
  repo?: string;
  file?: string;
  url?: string;
  status?: number;
  cause?: unknown;
}

export class DownloadError extends Error {
  readonly kind: DownloadErrorKind;
  readonly repo?: string;
  readonly file?: string;
  readonly url?: string;
  readonly status?: number;

  constructor(kind: DownloadErrorKind, message: string, details: DownloadErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DownloadError';
    this.kind = kind;
    this.repo = details.repo;
    this.file = details.file;
    this.url = details.url;
    this.status = details.status;
  }
}

export interface CachedModel {
  repo: string;
  revision: string;
  dir: string;
  bytes: number;
  /** All three model files are present. */
  complete: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Repository ids, revisions and folders

const REPO_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;
const MAX_PART_LENGTH = 96;

/** Throws a DownloadError of kind 'invalid-repo' unless `repo` is a Hugging Face model id ("name" or "owner/name"). */
export function validateRepoId(repo: string): void {
  const parts = typeof repo === 'string' ? repo.split('/') : [];
  const valid =
    parts.length >= 1 &&
    parts.length <= 2 &&
    parts.every((p) => p.length <= MAX_PART_LENGTH && REPO_PART.test(p) && !p.includes('--') && !p.includes('..'));
  if (!valid) {
    throw new DownloadError(
      'invalid-repo',
      `Invalid model id ${JSON.stringify(repo)}: expected a Hugging Face repository id such as "gpt2" or ` +
        `"owner/name" (letters, digits, "-", "_" and "."; no spaces, "--" or "..").`,
      { repo: String(repo) },
    );
  }
}

function validateRevision(repo: string, revision: string): void {
  if (revision.length === 0 || revision.length > 200 || /\s|\.\./.test(revision) || revision.startsWith('/')) {
    throw new DownloadError('invalid-repo', `${repo}: invalid revision ${JSON.stringify(revision)}.`, { repo });
  }
}

/** "owner/name" → "owner--name" (the Hugging Face convention; "--" cannot occur inside an id part). */
function flattenRepo(repo: string): string {
  return repo.replace('/', '--');
}

function unflattenRepo(dirName: string): string {
  return dirName.replace('--', '/');
}

function revisionSuffix(revision: string): string {
  return revision === DEFAULT_REVISION ? '' : `@${revision.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/** The folder of our own cache for this repo and revision (whether or not it exists). */
export function modelStoreDir(repo: string, opts: Pick<ModelStoreOptions, 'storageDir' | 'revision'>): string {
  validateRepoId(repo);
  const revision = opts.revision ?? DEFAULT_REVISION;
  validateRevision(repo, revision);
  return path.join(opts.storageDir, 'models', flattenRepo(repo) + revisionSuffix(revision));
}

/** The Hugging Face hub cache folder that `huggingface_hub` / `transformers` would use. */
export function hubCacheDir(opts: Pick<ModelStoreOptions, 'hfHome' | 'env'>): string {
  const env = opts.env ?? process.env;
  if (opts.hfHome) return path.join(opts.hfHome, 'hub');
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, 'hub');
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'huggingface', 'hub');
}

/** The explicit endpoint, else HF_ENDPOINT, else the public hub; without trailing slashes. */
export function resolveEndpoint(opts: Pick<ModelStoreOptions, 'endpoint' | 'env'>): string {
  const env = opts.env ?? process.env;
  const raw = opts.endpoint || env.HF_ENDPOINT || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`Invalid Hugging Face endpoint ${JSON.stringify(raw)}: expected an http(s) URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Invalid Hugging Face endpoint ${JSON.stringify(raw)}: expected an http(s) URL.`);
  }
  return raw.replace(/\/+$/, '');
}

function resolveToken(opts: Pick<ModelStoreOptions, 'token' | 'env'>): string | undefined {
  const env = opts.env ?? process.env;
  return opts.token || env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Finding complete models on disk

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile(); // follows the symlinks of the HF cache; a dangling link is not a file
  } catch {
    return false;
  }
}

function isCompleteModelDir(dir: string): boolean {
  return MODEL_FILES.every((f) => isFile(path.join(dir, f)));
}

function readTrimmed(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Snapshot folders of one HF cache entry, the one `refs/${revision}` points to first, then newest first. */
function snapshotCandidates(repoCacheDir: string, revision: string): string[] {
  const snapshots = path.join(repoCacheDir, 'snapshots');
  if (/^[0-9a-f]{40}$/.test(revision)) return [path.join(snapshots, revision)];
  const candidates: string[] = [];
  const ref = readTrimmed(path.join(repoCacheDir, 'refs', revision));
  if (ref && /^[0-9a-f]{40}$/.test(ref)) candidates.push(path.join(snapshots, ref));
  if (revision !== DEFAULT_REVISION) return candidates;
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(snapshots);
  } catch {
    return candidates;
  }
  const byAge = entries
    .map((name) => path.join(snapshots, name))
    .map((dir) => ({ dir, mtime: safeMtime(dir) }))
    .sort((a, b) => b.mtime - a.mtime)
    .map((e) => e.dir);
  return [...candidates, ...byAge.filter((d) => !candidates.includes(d))];
}

function safeMtime(p: string): number {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

/** The legacy short id and its canonical `owner/name` id (both may be in a user's HF cache). */
function repoAliases(repo: string): string[] {
  const canonical = CANONICAL_IDS[repo];
  if (canonical) return [repo, canonical];
  const legacy = Object.keys(CANONICAL_IDS).find((k) => CANONICAL_IDS[k] === repo);
  return legacy ? [repo, legacy] : [repo];
}

/** A complete snapshot folder of this repo in the Hugging Face hub cache, or null. */
export function findHubSnapshot(repo: string, opts: Pick<ModelStoreOptions, 'hfHome' | 'env' | 'revision'>): string | null {
  const hub = hubCacheDir(opts);
  const revision = opts.revision ?? DEFAULT_REVISION;
  for (const alias of repoAliases(repo)) {
    const entry = path.join(hub, `models--${flattenRepo(alias)}`);
    const found = snapshotCandidates(entry, revision).find(isCompleteModelDir);
    if (found) return found;
  }
  return null;
}

/** The folder holding all three files of this model, in our store or in the HF cache; null if none is complete. */
export function resolveCachedModel(repo: string, opts: ModelStoreOptions): string | null {
  const own = modelStoreDir(repo, opts);
  if (isCompleteModelDir(own)) return own;
  return findHubSnapshot(repo, opts);
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP: one request, redirects, and what the hub tells us about a file

interface Context {
  repo: string;
  revision: string;
  endpoint: string;
  token: string | undefined;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

/** What the hub's headers (on any hop) say about a file. */
interface FileFacts {
  contentLength: number | null;
  linkedSize: number | null;
  sha256: string | null;
  commit: string | null;
}

function fileUrl(ctx: Context, file: string): string {
  return `${ctx.endpoint}/${ctx.repo}/resolve/${encodeURIComponent(ctx.revision)}/${file}`;
}

function header(res: http.IncomingMessage, name: string): string | null {
  const v = res.headers[name];
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

function parseSize(v: string | null): number | null {
  if (v === null || !/^\d+$/.test(v.trim())) return null;
  return Number(v.trim());
}

/** An etag that is a bare or quoted sha256 (what the hub sends for LFS files), else null. */
function sha256FromEtag(v: string | null): string | null {
  if (v === null) return null;
  const bare = v.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return /^[0-9a-fA-F]{64}$/.test(bare) ? bare.toLowerCase() : null;
}

function collectFacts(facts: FileFacts, res: http.IncomingMessage): void {
  facts.linkedSize ??= parseSize(header(res, 'x-linked-size'));
  facts.sha256 ??= sha256FromEtag(header(res, 'x-linked-etag'));
  facts.commit ??= header(res, 'x-repo-commit');
}

function sendRequest(ctx: Context, method: 'GET' | 'HEAD', url: string, withAuth: boolean): Promise<http.IncomingMessage> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = {
    'user-agent': `attention-inspector (node ${process.version})`,
    'accept-encoding': 'identity',
  };
  if (withAuth && ctx.token) headers.authorization = `Bearer ${ctx.token}`;
  return new Promise((resolve, reject) => {
    const req = client.request(target, { method, headers, signal: ctx.signal }, resolve);
    req.setTimeout(ctx.timeoutMs, () => req.destroy(new Error(`no response for ${Math.round(ctx.timeoutMs / 1000)} s`)));
    req.on('error', reject);
    req.end();
  });
}

function describeHttpFailure(ctx: Context, file: string, url: string, status: number, statusText: string): string {
  const code = `(HTTP ${status}${statusText ? ` ${statusText}` : ''})`;
  if (status === 404) return `${ctx.repo}: ${file} not found on ${url} ${code}. Check the model id and revision.`;
  if (status === 401 || status === 403) {
    return (
      `${ctx.repo}: access to ${file} on ${url} was refused ${code}. The repository may not exist, or be private or ` +
      `gated: check the id, and set a Hugging Face access token (HF_TOKEN) if you have access.`
    );
  }
  return `${ctx.repo}: downloading ${file} from ${url} failed ${code}.`;
}

/**
 * Sends `method` for one file, following redirects (absolute or relative Location). The token is sent to the
 * endpoint's origin only, never to the CDN a redirect points to. Resolves with the 2xx response; throws on others.
 */
async function openFile(ctx: Context, method: 'GET' | 'HEAD', file: string): Promise<{ res: http.IncomingMessage; facts: FileFacts }> {
  const origin = new URL(ctx.endpoint).origin;
  let url = fileUrl(ctx, file);
  const facts: FileFacts = { contentLength: null, linkedSize: null, sha256: null, commit: null };
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await sendRequest(ctx, method, url, new URL(url).origin === origin);
    const status = res.statusCode ?? 0;
    collectFacts(facts, res);
    const location = header(res, 'location');
    if (status >= 300 && status < 400 && location) {
      res.resume();
      // A size probe stops at the hub: the CDN URL it redirects to is signed for GET and may refuse HEAD.
      if (method === 'HEAD' && facts.linkedSize !== null) return { res, facts };
      url = new URL(location, url).toString();
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      // Name the resolve URL the user can act on, not a signed CDN URL it redirected to.
      const shownUrl = fileUrl(ctx, file);
      throw new DownloadError('http', describeHttpFailure(ctx, file, shownUrl, status, res.statusMessage ?? ''), {
        repo: ctx.repo,
        file,
        url: shownUrl,
        status,
      });
    }
    facts.contentLength = res.headers['content-encoding'] ? null : parseSize(header(res, 'content-length'));
    facts.sha256 ??= sha256FromEtag(header(res, 'etag'));
    return { res, facts };
  }
  throw new DownloadError('http', `${ctx.repo}: too many redirects while downloading ${file} from ${fileUrl(ctx, file)}.`, {
    repo: ctx.repo,
    file,
    url: fileUrl(ctx, file),
  });
}

function cancelledError(repo: string, cause?: unknown): DownloadError {
  return new DownloadError('cancelled', `Download of ${repo} cancelled.`, { repo, cause });
}

const UNREACHABLE_CODES = ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH'];

/** Turns anything thrown while talking to the hub into a DownloadError. */
function asDownloadError(ctx: Context, file: string, err: unknown): DownloadError {
  if (ctx.signal?.aborted) return cancelledError(ctx.repo, err);
  if (err instanceof DownloadError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  const code = (err as NodeJS.ErrnoException | null)?.code ?? '';
  const hint = UNREACHABLE_CODES.includes(code)
    ? '. Check the network connection and proxy settings, or set HF_ENDPOINT to a reachable mirror.'
    : '';
  const url = fileUrl(ctx, file);
  return new DownloadError('network', `${ctx.repo}: network error while downloading ${file} from ${url}: ${reason}${hint}`, {
    repo: ctx.repo,
    file,
    url,
    cause: err,
  });
}

/** Expected size of a file from a HEAD request; null when the server does not say. Fails fast on 401/403/404. */
async function probeSize(ctx: Context, file: string): Promise<number | null> {
  try {
    const { res, facts } = await openFile(ctx, 'HEAD', file);
    res.resume();
    return facts.linkedSize ?? facts.contentLength;
  } catch (err) {
    const e = asDownloadError(ctx, file, err);
    if (e.kind === 'http' && e.status !== undefined && ![401, 403, 404].includes(e.status)) return null;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Downloading one file

/** Counts (and optionally hashes) the bytes flowing through, reporting the running count. */
class ByteMeter extends Transform {
  bytes = 0;
  private readonly hash: Hash | null;

  constructor(hashIt: boolean, private readonly onBytes: (bytes: number) => void) {
    super();
    this.hash = hashIt ? createHash('sha256') : null;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash?.update(chunk);
    this.onBytes(this.bytes);
    done(null, chunk);
  }

  digest(): string | null {
    return this.hash ? this.hash.digest('hex') : null;
  }
}

async function removeQuietly(p: string): Promise<void> {
  await fsp.rm(p, { force: true }).catch(() => undefined);
}

function verifyDownload(ctx: Context, file: string, facts: FileFacts, bytes: number, sha256: string | null): void {
  const url = fileUrl(ctx, file);
  const details = { repo: ctx.repo, file, url };
  for (const [expected, source] of [
    [facts.contentLength, 'Content-Length'],
    [facts.linkedSize, 'x-linked-size'],
  ] as const) {
    if (expected !== null && expected !== bytes) {
      throw new DownloadError(
        'size',
        `${ctx.repo}: ${file} from ${url} has ${bytes} bytes but the server announced ${expected} (${source}); ` +
          `the download was discarded.`,
        details,
      );
    }
  }
  if (facts.sha256 !== null && sha256 !== facts.sha256) {
    throw new DownloadError(
      'checksum',
      `${ctx.repo}: ${file} from ${url} has sha256 ${sha256} but the hub announced ${facts.sha256}; ` +
        `the download was discarded.`,
      details,
    );
  }
}

interface FileResult {
  bytes: number;
  sha256: string | null;
  commit: string | null;
}

/** Downloads one file into `dir` via `${file}.partial`; the final name appears only once the bytes are verified. */
async function downloadFile(
  ctx: Context,
  dir: string,
  file: ModelFile,
  onBytes: (bytes: number, total: number | null) => void,
): Promise<FileResult> {
  const finalPath = path.join(dir, file);
  const partialPath = finalPath + PARTIAL_SUFFIX;
  let opened: { res: http.IncomingMessage; facts: FileFacts };
  try {
    opened = await openFile(ctx, 'GET', file);
  } catch (err) {
    throw asDownloadError(ctx, file, err);
  }
  const { res, facts } = opened;
  const total = facts.contentLength ?? facts.linkedSize;
  onBytes(0, total);
  try {
    const { bytes, sha256 } = await receiveToFile(ctx, file, res, partialPath, facts.sha256 !== null, (n) => onBytes(n, total));
    verifyDownload(ctx, file, facts, bytes, sha256);
    await renameOrThrow(ctx, file, partialPath, finalPath);
    return { bytes, sha256, commit: facts.commit };
  } catch (err) {
    await removeQuietly(partialPath);
    throw err;
  }
}

/** Streams the response body into `target`, counting and optionally hashing it. Rejects with a DownloadError. */
async function receiveToFile(
  ctx: Context,
  file: string,
  res: http.IncomingMessage,
  target: string,
  hashIt: boolean,
  onBytes: (bytes: number) => void,
): Promise<{ bytes: number; sha256: string | null }> {
  const meter = new ByteMeter(hashIt, onBytes);
  const out = fs.createWriteStream(target);
  // Wait for the file to be closed before anyone renames or removes it: pipeline() can settle earlier on errors.
  const outClosed = new Promise<void>((resolve) => out.once('close', () => resolve()));
  // pipeline() passes an error on to every stream, so the stream that failed first tells network from disk.
  const failure: { first?: { error: Error; fromFile: boolean } } = {};
  res.on('error', (error) => (failure.first ??= { error, fromFile: false }));
  meter.on('error', (error) => (failure.first ??= { error, fromFile: false }));
  out.on('error', (error) => (failure.first ??= { error, fromFile: true }));
  try {
    await pipeline(res, meter, out, ctx.signal ? { signal: ctx.signal } : {});
    await outClosed;
    return { bytes: meter.bytes, sha256: meter.digest() };
  } catch (err) {
    res.destroy();
    out.destroy();
    await outClosed;
    if (failure.first?.fromFile && !ctx.signal?.aborted) throw ioError(ctx, file, `write ${target}`, failure.first.error);
    throw asDownloadError(ctx, file, err);
  }
}

async function renameOrThrow(ctx: Context, file: string, from: string, to: string): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (err) {
    throw ioError(ctx, file, `rename ${from} to ${path.basename(to)}`, err);
  }
}

function ioError(ctx: Context, file: string, action: string, cause: unknown): DownloadError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new DownloadError('io', `${ctx.repo}: could not ${action}: ${why}`, { repo: ctx.repo, file, cause });
}

/** Throws 'unsupported' unless the downloaded config.json describes a GPT-2 model. */
function assertGpt2Config(repo: string, configPath: string): void {
  let config: { model_type?: unknown; architectures?: unknown };
  try {
    config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new DownloadError('unsupported', `${repo}: config.json is not valid JSON (${(err as Error).message}).`, {
      repo,
      file: 'config.json',
      cause: err,
    });
  }
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  if (config.model_type === 'gpt2' || architectures.some((a) => a.startsWith('GPT2'))) return;
  const what = typeof config.model_type === 'string' ? `a "${config.model_type}" model` : 'not a GPT-2 model';
  throw new DownloadError('unsupported', `${repo} is ${what}; Attention Inspector runs GPT-2 architecture models only.`, {
    repo,
    file: 'config.json',
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Public operations

interface DownloadMetadata {
  repo: string;
  revision: string;
  endpoint: string;
  commit: string | null;
  files: Partial<Record<ModelFile, { bytes: number; sha256: string | null }>>;
  completedAt: string;
}

function throwIfAborted(repo: string, signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelledError(repo, signal.reason);
}

function sumOrNull(values: (number | null)[]): number | null {
  return values.every((v): v is number => v !== null) ? values.reduce((a, b) => a + b, 0) : null;
}

/**
 * The folder with config.json, tokenizer.json and model.safetensors of `repo`: an existing cache when one is
 * complete, else our store after downloading the missing files. Files already complete in the store are kept.
 * Rejects with a DownloadError; on cancellation or failure no partial or corrupt file is left under a final name.
 */
export async function ensureModel(
  repo: string,
  opts: ModelStoreOptions,
  onProgress?: (p: DownloadProgress) => void,
  signal?: AbortSignal,
): Promise<string> {
  validateRepoId(repo);
  throwIfAborted(repo, signal);
  const cached = resolveCachedModel(repo, opts);
  if (cached) return cached;

  const ctx: Context = {
    repo,
    revision: opts.revision ?? DEFAULT_REVISION,
    endpoint: resolveEndpoint(opts),
    token: resolveToken(opts),
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal,
  };
  const dir = modelStoreDir(repo, opts);
  try {
    // Another call (here or in another window) may have finished the download while we waited for the lock.
    return await withModelLock(dir, repo, signal, async () => resolveCachedModel(repo, opts) ?? downloadMissing(ctx, dir, onProgress));
  } catch (err) {
    await fsp.rmdir(dir).catch(() => undefined); // only succeeds when nothing was kept (e.g. a mistyped id)
    throw err;
  }
}

/** Downloads the files missing from `dir` (probing their sizes first, so 404s surface before big downloads). */
async function downloadMissing(ctx: Context, dir: string, onProgress?: (p: DownloadProgress) => void): Promise<string> {
  const { repo, signal } = ctx;
  const missing = MODEL_FILES.filter((f) => !isFile(path.join(dir, f)));
  if (!missing.includes('config.json')) assertGpt2Config(repo, path.join(dir, 'config.json'));
  const sizes: (number | null)[] = [];
  for (const file of missing) sizes.push(await probeSize(ctx, file));
  const overallTotal = sumOrNull(sizes);

  const metadata: DownloadMetadata = {
    repo,
    revision: ctx.revision,
    endpoint: ctx.endpoint,
    commit: null,
    files: {},
    completedAt: '',
  };
  let overallDone = 0;
  for (const [fileIndex, file] of missing.entries()) {
    throwIfAborted(repo, signal);
    const report = (bytes: number, totalBytes: number | null): void =>
      onProgress?.({
        repo,
        file,
        fileIndex,
        fileCount: missing.length,
        bytes,
        totalBytes: totalBytes ?? sizes[fileIndex] ?? null,
        overallBytes: overallDone + bytes,
        overallTotal,
      });
    const result = await downloadFile(ctx, dir, file, report);
    overallDone += result.bytes;
    metadata.commit ??= result.commit;
    metadata.files[file] = { bytes: result.bytes, sha256: result.sha256 };
    if (file === 'config.json') assertGpt2Config(repo, path.join(dir, file));
  }
  await writeMetadata(dir, metadata);
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// One download per model folder: calls in this process join a queue; other processes (other VS Code windows share
// globalStorage) are kept out by `${dir}/.lock`, which holds the owner's pid and host, is refreshed while held, and is
// taken over once stale.

const LOCK_FILE = '.lock';
const LOCK_POLL_MS = 250;
/** The owner touches its lock this often; a lock untouched for LOCK_STALE_MS is abandoned (e.g. a reused pid). */
const LOCK_REFRESH_MS = 10_000;
const LOCK_STALE_MS = 60_000;
const inFlight = new Map<string, Promise<unknown>>();

/** Resolves when `promise` settles; rejects with 'cancelled' as soon as `signal` aborts. */
function untilSettledOrAborted(repo: string, promise: Promise<unknown>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError(repo, signal?.reason));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    promise.then(done, done);
  });
}

function sleep(repo: string, ms: number, signal?: AbortSignal): Promise<void> {
  return untilSettledOrAborted(repo, new Promise((r) => setTimeout(r, ms)), signal);
}

interface LockOwner {
  pid: number;
  host: string;
}

function parseLockOwner(text: string | null): LockOwner | null {
  try {
    const owner = JSON.parse(text ?? '') as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host } : null;
  } catch {
    return null;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: alive, owned by someone else
  }
}

/** A lock is stale when its owner stopped refreshing it, or is a process of this host that no longer runs. */
function isStaleLock(lockPath: string): boolean {
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(lockPath).mtimeMs;
  } catch {
    return false; // gone already: just try again
  }
  if (Date.now() - mtimeMs > LOCK_STALE_MS) return true;
  const owner = parseLockOwner(readTrimmed(lockPath));
  if (owner === null || owner.host !== os.hostname()) return false; // being written, or another machine's: wait
  // Calls in this process are already serialized per folder, so a lock naming our own pid is a leftover.
  return owner.pid === process.pid || !isProcessAlive(owner.pid);
}

/** Creates `${dir}/.lock`, waiting while a live owner holds it; returns a function that releases it. */
async function acquireLock(dir: string, repo: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  const lockPath = path.join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: os.hostname() };
  for (;;) {
    throwIfAborted(repo, signal);
    try {
      await fsp.mkdir(dir, { recursive: true }); // again each time: a failed call removes its folder if empty
      await fsp.writeFile(lockPath, JSON.stringify(owner), { flag: 'wx' });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // the folder was removed between mkdir and writeFile
      if (code !== 'EEXIST') {
        throw new DownloadError('io', `${repo}: could not create ${lockPath}: ${(err as Error).message}`, { repo, cause: err });
      }
    }
    if (isStaleLock(lockPath)) await removeQuietly(lockPath);
    else await sleep(repo, LOCK_POLL_MS, signal);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockPath, now, now, () => undefined);
  }, LOCK_REFRESH_MS);
  heartbeat.unref();
  return async () => {
    clearInterval(heartbeat);
    await removeQuietly(lockPath);
  };
}

async function withModelLock<T>(dir: string, repo: string, signal: AbortSignal | undefined, body: () => Promise<T>): Promise<T> {
  const key = path.resolve(dir);
  for (let queued = inFlight.get(key); queued; queued = inFlight.get(key)) {
    await untilSettledOrAborted(repo, queued, signal);
  }
  const run = (async () => {
    const release = await acquireLock(dir, repo, signal);
    try {
      return await body();
    } finally {
      await release();
    }
  })();
  inFlight.set(key, run);
  try {
    return await run;
  } finally {
    if (inFlight.get(key) === run) inFlight.delete(key);
  }
}

async function writeMetadata(dir: string, metadata: DownloadMetadata): Promise<void> {
  const previous = readMetadata(dir);
  const merged: DownloadMetadata = {
    ...metadata,
    commit: metadata.commit ?? previous?.commit ?? null,
    files: { ...previous?.files, ...metadata.files },
    completedAt: new Date().toISOString(),
  };
  await fsp.writeFile(path.join(dir, METADATA_FILE), JSON.stringify(merged, null, 2) + '\n');
}

function readMetadata(dir: string): DownloadMetadata | null {
  const text = readTrimmed(path.join(dir, METADATA_FILE));
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as DownloadMetadata;
    return typeof parsed.repo === 'string' && typeof parsed.revision === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isFile()) total += fs.statSync(p).size;
    else if (entry.isDirectory()) total += folderBytes(p);
  }
  return total;
}

function modelsRoot(storageDir: string): string {
  return path.join(storageDir, 'models');
}

/** The model folders of our store (not the HF cache), complete or not, sorted by repo id. */
export function listCachedModels(storageDir: string): CachedModel[] {
  const root = modelsRoot(storageDir);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => {
      const dir = path.join(root, e.name);
      const metadata = readMetadata(dir);
      const [base, rev] = e.name.split('@');
      return {
        repo: metadata?.repo ?? unflattenRepo(base),
        revision: metadata?.revision ?? rev ?? DEFAULT_REVISION,
        dir,
        bytes: folderBytes(dir),
        complete: isCompleteModelDir(dir),
      };
    })
    .sort((a, b) => a.repo.localeCompare(b.repo) || a.revision.localeCompare(b.revision));
}

/**
 * Deletes the folders of `repo` (all revisions) from our store, or every model folder when `repo` is omitted.
 * Never touches the Hugging Face cache.
 */
export async function clearModelCache(storageDir: string, repo?: string): Promise<{ removed: string[] }> {
  if (repo !== undefined) validateRepoId(repo);
  const root = modelsRoot(storageDir);
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return { removed: [] };
  }
  const base = repo === undefined ? null : flattenRepo(repo);
  const targets = names.filter((n) => base === null || n === base || n.startsWith(`${base}@`)).map((n) => path.join(root, n));
  for (const dir of targets) await fsp.rm(dir, { recursive: true, force: true });
  return { removed: targets };
}
