// End-to-end harness: the real VS Code workbench (code-server, installed by scripts/e2e-setup.mjs) in
// Debian's Chromium, driven by playwright-core.
//
//   const server = await CodeServer.start({ extensions: [dir], files: { 'a.txt': '...' }, settings: {...} });
//   const wb = await Workbench.open(server);
//   await wb.openFile('a.txt'); await wb.selectText('dog'); await wb.runCommand('Attention Inspector: Show Attention');
//   const frame = await wb.getWebviewFrame('Attention');  ...  await wb.close(); await server.stop();
//
// Every process started here (code-server with its extension host, Chromium) carries a marker in its
// environment; stop() kills code-server's process group, then anything else still carrying the marker.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';

export const repoRoot = resolve(__dirname, '..', '..');
/** Screenshots go to test-results/e2e (ignored by git); E2E_SCREENSHOTS=media refreshes the README's copies. */
export const mediaDir = process.env.E2E_SCREENSHOTS === 'media' ? join(repoRoot, 'media') : join(repoRoot, 'test-results', 'e2e');
const installFile = join(repoRoot, '.cache', 'e2e', 'install.json');
const MARKER_VAR = 'ATTENTION_INSPECTOR_E2E_RUN';

export interface E2EInstall {
  codeServerVersion: string;
  codeServerEntry: string;
  node: string;
  nodeVersion: string;
  chromium: string;
}

/** Paths written by scripts/e2e-setup.mjs; a clear error when the setup has not run. */
export function loadInstall(): E2EInstall {
  if (!existsSync(installFile)) {
    throw new Error(`code-server is not installed for the e2e tests: run \`node scripts/e2e-setup.mjs\` (missing ${installFile}).`);
  }
  const info = JSON.parse(readFileSync(installFile, 'utf8')) as E2EInstall;
  for (const p of [info.codeServerEntry, info.node, info.chromium]) {
    if (!existsSync(p)) throw new Error(`e2e install is incomplete (${p} is missing): run \`node scripts/e2e-setup.mjs\`.`);
  }
  return info;
}

/** Timestamped step log on stderr when E2E_TRACE=1 (for finding slow or stuck steps). */
export function trace(message: string): void {
  if (process.env.E2E_TRACE === '1') process.stderr.write(`[e2e ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns a value other than undefined/false, or throw `describe()` after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number,
  describe: () => string | Promise<string>, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`${await describe()}${why}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * The value of `read` once it satisfies `accept` and has stayed the same for `stableMs` (for UI that updates
 * in steps); throws after `timeoutMs` with `what` and the last value.
 */
export async function settled<T>(read: () => Promise<T>, accept: (v: T) => boolean, stableMs: number, timeoutMs: number,
  what: string): Promise<T> {
  let last: T | undefined;
  let since = Date.now();
  return waitFor(async () => {
    const now = await read();
    if (now !== last) {
      last = now;
      since = Date.now();
      return undefined;
    }
    return accept(now) && Date.now() - since >= stableMs ? { value: now } : undefined;
  }, timeoutMs, () => `${what} did not settle on an expected value; last: ${JSON.stringify(last)}`, 100).then((r) => r.value);
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => res(port));
    });
  });
}

async function httpReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
    return res.status > 0;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Pids of live processes whose environment contains MARKER_VAR=runId (Linux /proc). */
export function markedProcesses(runId: string): number[] {
  if (!existsSync('/proc')) return [];
  const needle = Buffer.from(`${MARKER_VAR}=${runId}\0`);
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes(needle)) pids.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the group and the marked processes, wait up to graceMs, then SIGKILL whatever is left. */
async function terminate(groupLeader: number | undefined, runId: string, graceMs: number): Promise<void> {
  if (groupLeader) killQuietly(-groupLeader, 'SIGTERM');
  for (const pid of markedProcesses(runId)) killQuietly(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    const left = markedProcesses(runId).length + (groupLeader && isAlive(groupLeader) ? 1 : 0);
    if (left === 0) return;
    await sleep(100);
  }
  if (groupLeader) killQuietly(-groupLeader, 'SIGKILL');
  for (const pid of markedProcesses(runId)) killQuietly(pid, 'SIGKILL');
  await sleep(100);
}

// ---------------------------------------------------------------------------------------------
// code-server

export interface StartOptions {
  /** Unpacked extension folders (each with a package.json); copied to <extensions>/<publisher>.<name>-<version>. */
  extensions?: string[];
  /** VSIX files installed with code-server's own installer (`--install-extension`) before it starts. */
  vsix?: string[];
  /** Workspace files, relative path -> content. */
  files?: Record<string, string>;
  /** User settings merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
  /** How long to wait for code-server's HTTP server; default 60 s. */
  startTimeoutMs?: number;
}

/** Settings that keep the workbench quiet and deterministic in tests. */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.enabled': false,
  'files.simpleDialog.enable': true,
  'editor.minimap.enabled': false,
  'editor.hover.delay': 150,
  'editor.accessibilitySupport': 'off',
  'window.commandCenter': false,
  'workbench.editor.revealIfOpen': true,
};

interface ExtensionManifest { publisher: string; name: string; version: string }

export function extensionFolderName(extensionDir: string): string {
  const m = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8')) as ExtensionManifest;
  return `${m.publisher}.${m.name}-${m.version}`.toLowerCase();
}

/** Servers not stopped yet: killed synchronously if the test process exits or is interrupted. */
const liveServers = new Set<CodeServer>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = (): void => { for (const s of liveServers) s.killNow(); };
  process.on('exit', killAll);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(code);
    });
  }
}

export class CodeServer {
  readonly runId = randomUUID();
  readonly timings: Record<string, number> = {};
  private proc: ChildProcess | undefined;
  private output = '';
  private exitInfo: string | undefined;
  private stopped = false;

  private constructor(
    readonly install: E2EInstall,
    readonly root: string,
    readonly port: number,
  ) {}

  get workspace(): string { return join(this.root, 'workspace'); }
  get userDataDir(): string { return join(this.root, 'user-data'); }
  get extensionsDir(): string { return join(this.root, 'extensions'); }
  get url(): string { return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`; }
  /** A scratch folder inside the run's temp root (for exports, models, ...). */
  scratch(name: string): string {
    const dir = join(this.root, 'scratch', name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  static async start(opts: StartOptions): Promise<CodeServer> {
    const install = loadInstall();
    const root = mkdtempSync(join(tmpdir(), 'ai-e2e-'));
    const server = new CodeServer(install, root, await freePort());
    try {
      server.prepare(opts);
      await server.launch(opts);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  private prepare(opts: StartOptions): void {
    for (const dir of [this.workspace, join(this.userDataDir, 'User'), this.extensionsDir, join(this.root, 'xdg')]) {
      mkdirSync(dir, { recursive: true });
    }
    for (const [rel, content] of Object.entries(opts.files ?? {})) {
      const file = join(this.workspace, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    for (const ext of opts.extensions ?? []) {
      if (!existsSync(join(ext, 'package.json'))) throw new Error(`Not an unpacked extension (no package.json): ${ext}`);
      cpSync(ext, join(this.extensionsDir, extensionFolderName(ext)), { recursive: true });
    }
    const settings = { ...DEFAULT_SETTINGS, ...opts.settings };
    writeFileSync(join(this.userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    writeFileSync(join(this.root, 'config.yaml'), 'auth: none\n');
  }

  /** The environment code-server and its extension host run with. */
  private env(opts: StartOptions): NodeJS.ProcessEnv {
    const xdg = join(this.root, 'xdg');
    return {
      ...process.env,
      ...opts.env,
      [MARKER_VAR]: this.runId,
      XDG_DATA_HOME: join(xdg, 'data'),
      XDG_CONFIG_HOME: join(xdg, 'config'),
      XDG_CACHE_HOME: join(xdg, 'cache'),
      // Keep the extension gallery on loopback: the machine has no internet and tests must not try it.
      EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
    };
  }

  private installVsix(opts: StartOptions): void {
    for (const vsix of opts.vsix ?? []) {
      if (!existsSync(vsix)) throw new Error(`VSIX not found: ${vsix} (run \`npm run package\`)`);
      const t0 = Date.now();
      const r = spawnSync(this.install.node, [this.install.codeServerEntry, '--extensions-dir', this.extensionsDir,
        '--user-data-dir', this.userDataDir, '--install-extension', vsix], { env: this.env(opts), encoding: 'utf8', timeout: 120_000 });
      if (r.status !== 0 || !/successfully installed/i.test(r.stdout)) {
        throw new Error(`code-server could not install ${vsix} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      }
      this.timings.installVsixMs = (this.timings.installVsixMs ?? 0) + Date.now() - t0;
    }
  }

  private async launch(opts: StartOptions): Promise<void> {
    this.installVsix(opts);
    const t0 = Date.now();
    const args = [
      this.install.codeServerEntry,
      '--config', join(this.root, 'config.yaml'),
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${this.port}`,
      '--extensions-dir', this.extensionsDir,
      '--user-data-dir', this.userDataDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      this.workspace,
    ];
    this.proc = spawn(this.install.node, args, {
      cwd: this.root,
      detached: true, // own process group: stop() kills the extension host and helpers with it
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.env(opts),
    });
    liveServers.add(this);
    installExitHooks();
    // A server left running (a failed test) must not keep the test process alive: the exit hook kills it.
    this.proc.unref();
    for (const stream of [this.proc.stdout, this.proc.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
    const append = (b: Buffer): void => { this.output += b.toString(); };
    this.proc.stdout?.on('data', append);
    this.proc.stderr?.on('data', append);
    this.proc.on('exit', (code, signal) => { this.exitInfo = `code ${code} signal ${signal}`; });
    await waitFor(
      async () => {
        if (this.exitInfo) throw new Error(`code-server exited (${this.exitInfo})`);
        return httpReady(`http://127.0.0.1:${this.port}/healthz`);
      },
      opts.startTimeoutMs ?? 60_000,
      () => `code-server did not answer on port ${this.port}.\n${this.logTail()}`,
    );
    this.timings.httpReadyMs = Date.now() - t0;
  }

  /** SIGKILL code-server's group and every marked process, synchronously (exit hooks). */
  killNow(): void {
    if (this.proc?.pid) killQuietly(-this.proc.pid, 'SIGKILL');
    for (const pid of markedProcesses(this.runId)) killQuietly(pid, 'SIGKILL');
  }

  /** code-server's own stdout/stderr. */
  log(): string { return this.output; }
  logTail(lines = 40): string { return this.output.split('\n').slice(-lines).join('\n'); }

  /** Concatenated logs of the (remote) extension host and the extension's own output channels. */
  extensionHostLog(): string {
    const logsDir = join(this.userDataDir, 'logs');
    if (!existsSync(logsDir)) return '';
    const parts: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/exthost|remoteagent|Attention/i.test(p) && p.endsWith('.log')) {
          parts.push(`--- ${p.slice(logsDir.length + 1)}\n${readFileSync(p, 'utf8')}`);
        }
      }
    };
    walk(logsDir);
    return parts.join('\n');
  }

  /** Stop code-server and everything it started; remove the temp root unless E2E_KEEP=1. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await terminate(this.proc?.pid, this.runId, 5000);
    liveServers.delete(this);
    if (process.env.E2E_KEEP !== '1') rmSync(this.root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Workbench (Playwright)

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions',
];

export interface CanvasStats {
  width: number;
  height: number;
  /** Pixels that differ from the most common colour (the background). */
  nonBackground: number;
  distinctColors: number;
}

export interface DecorationInfo {
  className: string;
  background: string;
  text: string;
}

export class Workbench {
  readonly timings: Record<string, number> = {};
  private readonly consoleErrors: string[] = [];

  private constructor(
    readonly server: CodeServer,
    readonly browser: Browser,
    readonly page: Page,
  ) {}

  /** Launch Chromium, open the workspace and wait until the workbench and its explorer are up. */
  static async open(server: CodeServer, viewport = { width: 1500, height: 950 }): Promise<Workbench> {
    const t0 = Date.now();
    const browser = await chromium.launch({
      executablePath: server.install.chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, [MARKER_VAR]: server.runId },
      timeout: 60_000,
    });
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    // tsx compiles the functions we pass to evaluate() with esbuild's keepNames, which calls a __name
    // helper that only exists in Node: give every frame (webviews included) a no-op one.
    await context.addInitScript('globalThis.__name = globalThis.__name || ((f) => f);');
    const page = await context.newPage();
    const wb = new Workbench(server, browser, page);
    page.on('console', (m) => { if (m.type() === 'error') wb.consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => wb.consoleErrors.push(`pageerror: ${e.message}`));
    try {
      await page.goto(server.url, { timeout: 60_000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await page.locator('.explorer-folders-view').first().waitFor({ state: 'attached', timeout: 60_000 });
      await page.locator('.part.statusbar').waitFor({ timeout: 30_000 });
    } catch (err) {
      await wb.close();
      throw new Error(`The workbench did not load: ${(err as Error).message}\n${server.logTail()}`);
    }
    wb.timings.workbenchReadyMs = Date.now() - t0;
    return wb;
  }

  /** Console errors of the workbench page and its frames (for failure messages). */
  errors(): string[] { return [...this.consoleErrors]; }

  async close(): Promise<void> {
    await Promise.race([this.browser.close().catch(() => undefined), sleep(10_000)]);
  }

  // --- quick input / commands -------------------------------------------------------------

  private get quickInput(): Locator { return this.page.locator('.quick-input-widget'); }
  private get quickInputBox(): Locator { return this.quickInput.locator('input.input'); }

  private async openQuickInput(value: string): Promise<void> {
    await this.closeQuickInput();
    await this.page.keyboard.press('F1');
    await this.quickInputBox.waitFor({ state: 'visible', timeout: 10_000 });
    await this.quickInputBox.fill(value);
  }

  /** Close an open quick input (Escape only when one is open: in the editor it would collapse the selection). */
  async closeQuickInput(): Promise<void> {
    for (let i = 0; i < 5 && (await this.quickInput.isVisible()); i++) {
      await this.page.keyboard.press('Escape');
      await sleep(150);
    }
  }

  /** Labels of the rows currently listed in the quick input. */
  async quickInputRows(): Promise<string[]> {
    return this.quickInput.locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
  }

  /** Pick the quick-input row whose label starts with `label` (or matches it), waiting for it to be listed. */
  private async pickQuickInputRow(label: string | RegExp, what: string, timeoutMs = 15_000): Promise<void> {
    const rows = this.quickInput.locator('.monaco-list-row');
    const matches = (l: string) => (typeof label === 'string' ? l.startsWith(label) : label.test(l));
    const index = await waitFor(
      async () => {
        const labels = await rows.evaluateAll((els) => els.map((r) => r.getAttribute('aria-label') ?? ''));
        const i = labels.findIndex(matches);
        return i >= 0 ? i : undefined;
      },
      timeoutMs,
      async () => `${what} "${String(label)}" is not listed in the quick input; listed: ${JSON.stringify(await this.quickInputRows())}`,
    );
    await rows.nth(index).click();
  }

  /** Run a command by its palette title (e.g. "Attention Inspector: Show Attention") through F1. */
  async runCommand(title: string, timeoutMs = 15_000): Promise<void> {
    trace(`runCommand ${title}`);
    await this.openQuickInput(`>${title}`);
    await this.pickQuickInputRow(title, 'Command', timeoutMs);
    // The palette closes, or the command already shows its own quick input (a pick or a file dialog).
    await waitFor(async () => !(await this.quickInput.isVisible()) || !(await this.quickInputBox.inputValue()).startsWith('>'),
      10_000, () => `The command palette did not close after running "${title}"`, 50);
    trace(`ran ${title}`);
  }

  /** Is the command listed in the palette (its `when` clause holds)? */
  async hasCommand(title: string): Promise<boolean> {
    await this.openQuickInput(`>${title}`);
    await sleep(500);
    const labels = await this.quickInputRows();
    await this.page.keyboard.press('Escape');
    return labels.some((l) => l.startsWith(title));
  }

  /** Answer a quick pick that is open (e.g. one an extension shows) by the label of an item. */
  async pickQuickPickItem(label: string | RegExp, timeoutMs = 15_000): Promise<void> {
    await this.quickInput.waitFor({ state: 'visible', timeout: timeoutMs });
    await this.pickQuickInputRow(label, 'Item', timeoutMs);
  }

  /**
   * Answer the save/open dialog: in the browser workbench it is the "simple" dialog, a quick input
   * holding a path. Types `path` and accepts.
   */
  async answerFileDialog(path: string, timeoutMs = 15_000): Promise<void> {
    trace(`file dialog: waiting`);
    await this.quickInputBox.waitFor({ state: 'visible', timeout: timeoutMs });
    // The dialog fills its box in steps (the folder first, then the default file name once the folder is
    // listed): typing before it settles gets overwritten, and the dialog saves under the default name.
    const initial = await this.settledInputValue(timeoutMs);
    trace(`file dialog: open with "${initial}"`);
    await waitFor(async () => {
      if ((await this.quickInputBox.inputValue()) !== path) await this.quickInputBox.fill(path);
      await sleep(300);
      return (await this.quickInputBox.inputValue()) === path;
    }, timeoutMs, async () => `The file dialog does not keep the typed path "${path}"; it shows "${await this.quickInputBox.inputValue()}"`, 0);
    await this.quickInputBox.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden', timeout: timeoutMs });
    trace(`file dialog: answered ${path}`);
  }

  /** The quick input's value once it has stopped changing (unchanged over 600 ms). */
  private async settledInputValue(timeoutMs: number): Promise<string> {
    return settled(() => this.quickInputBox.inputValue(), () => true, 600, timeoutMs, 'The file dialog value');
  }

  // --- editors -----------------------------------------------------------------------------

  /** Open a workspace file through Quick Open and wait until its editor is active and focused. */
  async openFile(relPath: string): Promise<void> {
    const name = basename(relPath);
    await this.openQuickInput(relPath);
    await this.pickQuickInputRow(name, 'File');
    this.fileName = name;
    await this.page.locator(`.editor-group-container.active .tab.active[data-resource-name="${name}"]`)
      .waitFor({ timeout: 15_000 });
    await this.activeEditor.locator('.view-lines').waitFor({ timeout: 15_000 });
  }

  private fileName: string | undefined;

  /** The group showing the file last opened with openFile (webview panels beside it may hold the focus). */
  private get textGroup(): Locator {
    if (!this.fileName) return this.page.locator('.editor-group-container.active');
    return this.page.locator(`.editor-group-container:has(.tab.active[data-resource-name="${this.fileName}"])`).first();
  }

  /** The text editor of the file last opened with openFile. */
  get activeEditor(): Locator {
    return this.textGroup.locator('.monaco-editor').first();
  }

  /** Focus that text editor without moving the cursor (clicks its tab). */
  async focusEditor(): Promise<void> {
    await this.textGroup.locator('.tab.active').first().click();
    await this.activeEditor.locator('textarea').first().focus().catch(() => undefined);
  }

  /** The status bar's selection item, e.g. "Ln 1, Col 5 (12 selected)". */
  async selectionStatus(): Promise<string> {
    return (await this.page.locator('#status\\.editor\\.selection').innerText()).trim();
  }

  /** Select the first occurrence of `text` (single line) in the active editor with the Find widget. */
  async selectText(text: string): Promise<void> {
    if (text.includes('\n')) throw new Error('selectText finds one line; use selectLines for a multi-line selection');
    await this.focusEditor();
    await this.page.keyboard.press('Control+Home');
    await this.page.keyboard.press('Control+F');
    const find = this.activeEditor.locator('.find-widget textarea, .find-widget input').first();
    await find.waitFor({ state: 'visible', timeout: 10_000 });
    await find.fill(text);
    await waitFor(async () => /\d+ of \d+/.test(await this.activeEditor.locator('.find-widget .matchesCount').innerText()),
      10_000, () => `Find did not match "${text}" in the active editor`);
    await this.page.keyboard.press('Escape');
    await waitFor(async () => (await this.selectionStatus()).includes(`(${text.length} selected)`), 10_000,
      async () => `"${text}" was not selected; status bar says "${await this.selectionStatus()}"`);
  }

  /** Select whole lines first..last (1-based, inclusive) with Go to Line and Shift+arrows. */
  async selectLines(first: number, last: number): Promise<void> {
    await this.page.mouse.move(0, 0); // no hover widget in the way of the keyboard
    await this.goTo(first, 1);
    for (let i = first; i < last; i++) await this.page.keyboard.press('Shift+ArrowDown');
    await this.page.keyboard.press('Shift+End');
    // The status bar passes through "Ln <last>, Col 1 (n selected)" before Shift+End lands: wait until it settles.
    await settled(() => this.selectionStatus(), (st) => st.startsWith(`Ln ${last},`) && st.includes('selected)'), 400, 10_000,
      `The selection of lines ${first}-${last} (status bar)`);
  }

  /** Move the cursor to line:column (1-based) with Go to Line. */
  async goTo(line: number, column: number): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press('Control+G');
    await this.quickInputBox.waitFor({ state: 'visible', timeout: 10_000 });
    await this.quickInputBox.fill(`:${line}:${column}`);
    await sleep(200);
    await this.quickInputBox.press('Enter');
    await waitFor(async () => (await this.selectionStatus()).startsWith(`Ln ${line}, Col ${column}`), 10_000,
      async () => `Cursor not at ${line}:${column}; status bar says "${await this.selectionStatus()}"`);
  }

  /** Screen box of the `occurrence`-th rendered occurrence of `text` in the active editor. */
  async textBox(text: string, occurrence = 0): Promise<{ x: number; y: number; width: number; height: number }> {
    return waitFor(
      () => this.activeEditor.locator('.view-lines').evaluate((root, [needle, nth]) => {
        const nbsp = /\u00a0/g;
        const lines = [...root.querySelectorAll<HTMLElement>('.view-line')]
          .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
        let seen = 0;
        for (const line of lines) {
          const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
          const nodes: Text[] = [];
          let full = '';
          for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push(n as Text); full += (n.textContent ?? '').replace(nbsp, ' '); }
          let from = 0;
          for (;;) {
            const at = full.indexOf(needle as string, from);
            if (at < 0) break;
            if (seen++ === nth) {
              const range = document.createRange();
              const locate = (offset: number, end: boolean): [Text, number] => {
                let acc = 0;
                for (const node of nodes) {
                  const len = node.textContent?.length ?? 0;
                  if (offset < acc + len || (end && offset === acc + len)) return [node, offset - acc];
                  acc += len;
                }
                const last = nodes[nodes.length - 1];
                return [last, last.textContent?.length ?? 0];
              };
              const [sn, so] = locate(at, false);
              const [en, eo] = locate(at + (needle as string).length, true);
              range.setStart(sn, so);
              range.setEnd(en, eo);
              const r = range.getBoundingClientRect();
              return { x: r.x, y: r.y, width: r.width, height: r.height };
            }
            from = at + 1;
          }
        }
        return undefined;
      }, [text, occurrence] as const),
      10_000,
      () => `"${text}" (occurrence ${occurrence}) is not rendered in the active editor`,
    );
  }

  /** Hover the mouse over `text` in the active editor and return the hover widget's text. */
  async hoverAt(text: string, occurrence = 0, expect?: RegExp): Promise<string> {
    const box = await this.textBox(text, occurrence);
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    const hover = this.page.locator('.monaco-hover:not(.hidden)').filter({ hasText: expect ?? /\S/ }).first();
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.page.mouse.move(x, y - 40);
      await this.page.mouse.move(x, y, { steps: 4 });
      try {
        await hover.waitFor({ state: 'visible', timeout: 5000 });
        return (await hover.innerText()).trim();
      } catch {
        // the hover can be dismissed by a re-render; move away and try again
      }
    }
    throw new Error(`No hover${expect ? ` matching ${expect}` : ''} appeared over "${text}"`);
  }

  /** Decorations currently rendered in the active editor that have a background colour. */
  async decorations(): Promise<DecorationInfo[]> {
    return this.activeEditor.evaluate((editor) => {
      const out: { className: string; background: string; text: string }[] = [];
      const transparent = (c: string) => c === '' || c === 'transparent' || /rgba\(.*,\s*0\)$/.test(c);
      for (const el of editor.querySelectorAll<HTMLElement>('.view-overlays .cdr, .view-lines span[class*="ced-"], .view-lines span[style*="background"]')) {
        const bg = getComputedStyle(el).backgroundColor;
        if (transparent(bg)) continue;
        out.push({ className: el.className, background: bg, text: el.textContent ?? '' });
      }
      return out;
    });
  }

  // --- notifications ------------------------------------------------------------------------

  /** Texts of the notification toasts on screen (with their progress state). */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-list-item').evaluateAll((els) =>
      els.map((e) => (e as HTMLElement).innerText.replace(/\s+/g, ' ').trim()));
  }

  /** Wait for a notification toast whose text matches `pattern`; returns its text. */
  async waitForNotification(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return waitFor(async () => (await this.notifications()).find((t) => pattern.test(t)), timeoutMs,
      async () => `No notification matching ${pattern}; showing: ${JSON.stringify(await this.notifications())}`, 100);
  }

  // --- webviews ----------------------------------------------------------------------------

  /**
   * The content frame of a webview (panel or view) whose title is `title`. VS Code nests it:
   * workbench > webview host (pre/index.html) > active-frame (the extension's HTML).
   */
  async getWebviewFrame(title: string | RegExp, timeoutMs = 30_000): Promise<Frame> {
    const matches = (t: string) => (typeof title === 'string' ? t === title : title.test(t));
    return waitFor(
      async () => {
        for (const frame of this.page.frames()) {
          if (!frame.url().includes('/webview/browser/pre/fake.html')) continue;
          const el = await frame.frameElement().catch(() => undefined);
          if (!el) continue;
          const [id, t] = await Promise.all([el.getAttribute('id'), el.getAttribute('title')]);
          if (id === 'active-frame' && matches(t ?? '')) return frame;
        }
        return undefined;
      },
      timeoutMs,
      async () => `No webview titled ${String(title)}; webviews: ${JSON.stringify(await this.webviewTitles())}`,
    );
  }

  /** Titles of the webviews whose content is loaded. */
  async webviewTitles(): Promise<string[]> {
    const titles: string[] = [];
    for (const frame of this.page.frames()) {
      if (!frame.url().includes('/webview/browser/pre/fake.html')) continue;
      const el = await frame.frameElement().catch(() => undefined);
      if (el && (await el.getAttribute('id')) === 'active-frame') titles.push((await el.getAttribute('title')) ?? '');
    }
    return titles;
  }

  /** Pixel statistics of the canvases matching `selector` in a frame (read back through a 2D copy). */
  static async canvasStats(frame: Frame, selector = 'canvas'): Promise<CanvasStats[]> {
    return frame.locator(selector).evaluateAll((canvases) => canvases.map((node) => {
      const c = node as HTMLCanvasElement;
      const width = c.width;
      const height = c.height;
      if (width === 0 || height === 0) return { width, height, nonBackground: 0, distinctColors: 0 };
      const copy = document.createElement('canvas');
      copy.width = width;
      copy.height = height;
      const g = copy.getContext('2d');
      if (!g) return { width, height, nonBackground: 0, distinctColors: 0 };
      g.drawImage(c, 0, 0);
      const px = new Uint32Array(g.getImageData(0, 0, width, height).data.buffer);
      const counts = new Map<number, number>();
      for (const p of px) counts.set(p, (counts.get(p) ?? 0) + 1);
      let top = 0;
      for (const n of counts.values()) top = Math.max(top, n);
      return { width, height, nonBackground: px.length - top, distinctColors: counts.size };
    }));
  }

  /** True when some canvas matching `selector` has at least `minFraction` of its pixels off the background. */
  static async canvasIsNonBlank(frame: Frame, selector = 'canvas', minFraction = 0.001): Promise<boolean> {
    const stats = await Workbench.canvasStats(frame, selector);
    return stats.some((s) => s.width > 0 && s.nonBackground / (s.width * s.height) >= minFraction && s.distinctColors >= 2);
  }

  // --- screenshots ----------------------------------------------------------------------------

  /** Save a screenshot of the whole workbench as media/e2e-<name>.png (or `dir`); returns the path. */
  async screenshot(name: string, dir = mediaDir): Promise<string> {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `e2e-${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}
