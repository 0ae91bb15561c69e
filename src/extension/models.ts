// Model lifecycle: which model the settings ask for, where its folder is (local folder, a cache, or a
// download with a cancellable progress notification), loading it into the engine, and the commands
// Select Model, Download Model and Clear Model Cache.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo } from '../engine/types';
import type { EngineClient } from '../engine/client';
import {
  clearModelCache, DownloadError, ensureModel, KNOWN_MODELS, listCachedModels, resolveCachedModel, validateRepoId,
  type DownloadProgress, type ModelStoreOptions,
} from '../engine/modelStore';
import {
  ignoredUserModelPath, modelKey, modelPathInSettingsText, modelPathScope, SECTION, writeSetting, type IgnoredSetting,
} from './config';
import type { Ctx } from './ctx';
import {
  ActionableError, downloadProgressMessage, errorMessage, formatBytes, isAbort, shortModelName, type ErrorAction, type ModelStatus,
} from './format';
import { StatusBar } from './statusBar';

const OTHER_REPO = 'Other Hugging Face repo…';
const LOCAL_FOLDER = 'Local folder…';
/** The way out of a model that cannot be found or downloaded: Select Model → Local folder. */
const SELECT_FOLDER_ACTION: ErrorAction = { title: 'Select Local Folder…', command: 'attentionInspector.selectModel', args: ['folder'] };

export class ModelManager implements vscode.Disposable {
  private status: ModelStatus = { kind: 'idle' };
  private loaded: { key: string; info: ModelInfo; client: EngineClient } | undefined;
  private pending: { key: string; promise: Promise<ModelInfo> } | undefined;
  /** Ignored User-scope model folders the user chose to download past (this session). */
  private readonly ignoredAnswered = new Set<string>();
  private readonly statusBar = new StatusBar();
  private readonly statusChanged = new vscode.EventEmitter<ModelStatus>();
  /** Fires on every status change (downloading n%, loading, ready, running, error). */
  readonly onDidChangeStatus = this.statusChanged.event;
  private readonly disposables: vscode.Disposable[] = [this.statusBar, this.statusChanged];

  constructor(private readonly ctx: Ctx) {
    this.disposables.push(ctx.onDidChangeConfig((e) => {
      const touchesModel = ['model', 'modelPath', 'hubEndpoint'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
      if (touchesModel && this.loaded?.key !== modelKey(ctx.config)) {
        ctx.log.info(`Model setting changed to ${this.displayName}; it is loaded on the next analysis.`);
        this.setStatus({ kind: 'idle' });
      }
    }));
    this.refresh();
  }

  get displayName(): string {
    return shortModelName(this.ctx.config.model, this.ctx.config.modelPath);
  }

  /** The loaded model when it is the one the settings ask for. */
  get current(): ModelInfo | undefined {
    return this.isLoaded(modelKey(this.ctx.config)) ? this.loaded!.info : undefined;
  }

  setStatus(status: ModelStatus): void {
    this.status = status;
    this.refresh();
    this.statusChanged.fire(status);
  }

  private refresh(): void {
    this.statusBar.update(this.displayName, this.status, this.current);
  }

  /** Loaded in the current engine worker (a restarted worker has no model). */
  private isLoaded(key: string): boolean {
    return this.loaded?.key === key && this.loaded.client === this.ctx.client;
  }

  private storeOptions(): ModelStoreOptions {
    return { storageDir: this.ctx.storageDir, endpoint: this.ctx.config.hubEndpoint };
  }

  /** Make sure the configured model is loaded in the engine (downloading it first when needed). */
  ensureLoaded(signal?: AbortSignal): Promise<ModelInfo> {
    const key = modelKey(this.ctx.config);
    if (this.isLoaded(key)) return Promise.resolve(this.loaded!.info);
    if (this.pending?.key === key) return this.pending.promise;
    const promise = this.load(key, signal).finally(() => {
      if (this.pending?.promise === promise) this.pending = undefined;
    });
    this.pending = { key, promise };
    return promise;
  }

  private async load(key: string, signal?: AbortSignal): Promise<ModelInfo> {
    try {
      const dir = await this.resolveFolder(signal);
      this.setStatus({ kind: 'loading' });
      const started = Date.now();
      const client = this.ctx.client;
      const { info, loadMs } = await client.load(dir, signal);
      // The key of the settings now: choosing the User model folder above changes them.
      this.loaded = { key: dir === this.ctx.config.modelPath ? modelKey(this.ctx.config) : key, info, client };
      this.ctx.log.info(`Loaded ${info.name} from ${dir}: ${info.layers} layers × ${info.heads} heads, ` +
        `context ${info.ctx}, ${info.dtype}; load ${Math.round(loadMs)} ms (${Date.now() - started} ms with messaging)`);
      this.setStatus({ kind: 'ready' });
      return info;
    } catch (err) {
      this.setStatus(isAbort(err) || isCancelledDownload(err) ? { kind: 'idle' } : { kind: 'error', message: errorMessage(err) });
      throw err;
    }
  }

  /** The model folder: `modelPath` when set, else a cached or freshly downloaded copy of `model`. */
  private async resolveFolder(signal?: AbortSignal): Promise<string> {
    const { modelPath, model } = this.ctx.config;
    if (modelPath) {
      const where = modelPathScope(vscode.workspace.getConfiguration(SECTION).inspect('modelPath'), vscode.env.remoteName !== undefined);
      const stat = fs.statSync(modelPath, { throwIfNoEntry: false });
      const problem = !stat ? 'does not exist' : stat.isDirectory() ? undefined : 'is a file, not a model folder';
      if (problem) {
        throw new ActionableError(`The model folder "${modelPath}" (attentionInspector.modelPath, ${where}) ${problem}. ` +
          'Pick a folder with config.json, model.safetensors and tokenizer.json.', [SELECT_FOLDER_ACTION]);
      }
      return modelPath;
    }
    const ignored = await this.confirmIgnoredModelPath();
    if (ignored) return ignored;
    const cached = resolveCachedModel(model, this.storeOptions());
    if (cached) return cached;
    try {
      return await this.download(model, signal);
    } catch (err) {
      if (!(err instanceof DownloadError) || err.kind === 'cancelled') throw err;
      throw new ActionableError(`${errorMessage(err)} To use a model folder on this machine instead, run Select Model → Local folder.`,
        [SELECT_FOLDER_ACTION], { cause: err });
    }
  }

  /** A User-scope modelPath that this (remote) window ignores; undefined when there is none. */
  private ignoredModelPath(): IgnoredSetting | undefined {
    const remoteName = vscode.env.remoteName;
    if (!remoteName) return undefined;
    // The User settings.json of this profile sits two levels above our global storage (User/globalStorage/<id>).
    const file = path.join(this.ctx.storageDir, '..', '..', 'settings.json');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined; // a desktop Remote window: the User settings live on the local machine
    }
    return ignoredUserModelPath({
      userFileValue: modelPathInSettingsText(text),
      effective: this.ctx.config.modelPath,
      inspected: vscode.workspace.getConfiguration(SECTION).inspect('modelPath'),
      remoteName,
    });
  }

  /**
   * Before downloading because modelPath is empty: if the User settings set a folder this window ignores,
   * say where it must be set and offer to set it there. Resolves with that folder when the user takes it,
   * undefined to go on with the download (asked once per value and session).
   */
  private async confirmIgnoredModelPath(): Promise<string | undefined> {
    const ignored = this.ignoredModelPath();
    if (!ignored || this.ignoredAnswered.has(ignored.value)) return undefined;
    this.ctx.log.warn(ignored.message);
    const use = 'Use It in This Window';
    const download = `Download ${this.ctx.config.model}`;
    const choice = await vscode.window.showWarningMessage('The model folder in your User settings is not in effect in this window.',
      { modal: true, detail: `${ignored.message}\n\n"${use}" writes it to the Remote settings.` }, use, download);
    if (choice === download) {
      this.ignoredAnswered.add(ignored.value);
      return undefined;
    }
    if (choice !== use) throw new DownloadError('cancelled', 'Cancelled: no model was loaded.');
    await vscode.workspace.getConfiguration(SECTION).update('modelPath', ignored.value, vscode.ConfigurationTarget.Global);
    this.ctx.log.info(`attentionInspector.modelPath set to ${ignored.value} in the Remote settings`);
    if (!fs.statSync(ignored.value, { throwIfNoEntry: false })?.isDirectory()) {
      throw new ActionableError(`The model folder "${ignored.value}" does not exist on this machine.`, [SELECT_FOLDER_ACTION]);
    }
    return ignored.value;
  }

  /** Download `repo` with a cancellable notification; resolves with the folder. */
  async download(repo: string, signal?: AbortSignal): Promise<string> {
    this.ctx.log.info(`Downloading ${repo} from ${this.ctx.config.hubEndpoint} into ${this.ctx.storageDir}`);
    this.setStatus({ kind: 'downloading' });
    const started = Date.now();
    const dir = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Downloading ${repo}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const cancel = () => abort.abort();
        token.onCancellationRequested(cancel);
        signal?.addEventListener('abort', cancel, { once: true });
        let reported = 0;
        const onProgress = (p: DownloadProgress) => {
          const percent = p.overallTotal ? (100 * p.overallBytes) / p.overallTotal : undefined;
          const increment = percent === undefined ? undefined : Math.max(0, percent - reported);
          if (percent !== undefined) reported = percent;
          // The bar and the leading percentage are overall (as in the status bar); the rest is the current file.
          const overall = percent === undefined ? '' : `${Math.floor(percent)}% · `;
          progress.report({ message: overall + downloadProgressMessage(p.file, p.bytes, p.totalBytes ?? undefined), increment });
          this.setStatus({ kind: 'downloading', percent });
        };
        try {
          return await ensureModel(repo, this.storeOptions(), onProgress, abort.signal);
        } finally {
          signal?.removeEventListener('abort', cancel);
        }
      },
    );
    this.ctx.log.info(`Downloaded ${repo} to ${dir} in ${Date.now() - started} ms`);
    return dir;
  }

  /** Quick pick: known models, another hub repo, or a local folder; updates the settings. */
  async selectModel(only?: 'folder'): Promise<void> {
    const picked = only === 'folder' ? await this.pickFolder() : await this.pickModel(true);
    if (!picked) return;
    if (picked.kind === 'folder') {
      await writeSetting(vscode.workspace, 'modelPath', picked.value);
    } else {
      await writeSetting(vscode.workspace, 'model', picked.value);
      if (this.ctx.config.modelPath) await writeSetting(vscode.workspace, 'modelPath', '');
    }
    this.ctx.log.info(`Model set to ${picked.value}`);
  }

  /** Download a model ahead of use; offers to switch to it. */
  async downloadModel(): Promise<void> {
    const picked = await this.pickModel(false);
    if (!picked || picked.kind !== 'repo') return;
    try {
      const dir = await this.download(picked.value);
      this.setStatus(this.current ? { kind: 'ready' } : { kind: 'idle' });
      const isCurrent = !this.ctx.config.modelPath && this.ctx.config.model === picked.value;
      const choice = await vscode.window.showInformationMessage(
        `${picked.value} is ready in ${dir}.`, ...(isCurrent ? [] : ['Use It']));
      if (choice === 'Use It') {
        await writeSetting(vscode.workspace, 'model', picked.value);
        if (this.ctx.config.modelPath) await writeSetting(vscode.workspace, 'modelPath', '');
      }
    } catch (err) {
      this.setStatus(this.current ? { kind: 'ready' } : { kind: 'idle' });
      if (isCancelledDownload(err) || isAbort(err)) {
        void vscode.window.showInformationMessage(`Download of ${picked.value} cancelled.`);
        return;
      }
      if (err instanceof DownloadError) {
        throw new ActionableError(`${errorMessage(err)} A model folder on this machine works too: Select Model → Local folder.`,
          [SELECT_FOLDER_ACTION], { cause: err });
      }
      throw err;
    }
  }

  /** Remove downloaded models from our store (never from the shared Hugging Face cache). */
  async clearModelCache(): Promise<void> {
    const cached = listCachedModels(this.ctx.storageDir);
    if (cached.length === 0) {
      void vscode.window.showInformationMessage('No downloaded models to remove (the Hugging Face cache is never touched).');
      return;
    }
    const items = cached.map((m) => ({
      label: m.repo, description: `${formatBytes(m.bytes)}${m.complete ? '' : ' · incomplete'}`, detail: m.dir, repo: m.repo,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true, title: 'Clear Model Cache', placeHolder: 'Models to remove from the extension storage',
    });
    if (!picked || picked.length === 0) return;
    const total = cached.filter((m) => picked.some((p) => p.repo === m.repo)).reduce((s, m) => s + m.bytes, 0);
    const ok = await vscode.window.showWarningMessage(
      `Remove ${picked.map((p) => p.repo).join(', ')} (${formatBytes(total)})?`, { modal: true }, 'Remove');
    if (ok !== 'Remove') return;
    const removed: string[] = [];
    for (const p of picked) removed.push(...(await clearModelCache(this.ctx.storageDir, p.repo)).removed);
    this.ctx.log.info(`Removed ${removed.join(', ')}`);
    void vscode.window.showInformationMessage(`Removed ${removed.length} model folder(s), ${formatBytes(total)}.`);
  }

  private async pickModel(allowFolder: boolean): Promise<{ kind: 'repo' | 'folder'; value: string } | undefined> {
    const { model, modelPath } = this.ctx.config;
    const opts = this.storeOptions();
    const items: vscode.QuickPickItem[] = KNOWN_MODELS.map((repo) => ({
      label: repo,
      description: [
        !modelPath && repo === model ? 'current' : '',
        resolveCachedModel(repo, opts) ? 'downloaded' : '',
      ].filter(Boolean).join(' · '),
    }));
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: OTHER_REPO });
    if (allowFolder) items.push({ label: LOCAL_FOLDER, description: modelPath ? `current: ${modelPath}` : undefined });
    const picked = await vscode.window.showQuickPick(items, {
      title: allowFolder ? 'Attention Inspector: Select Model' : 'Attention Inspector: Download Model',
      placeHolder: 'A GPT-2 checkpoint (config.json, model.safetensors, tokenizer.json)',
    });
    if (!picked) return undefined;
    if (picked.label === OTHER_REPO) {
      const repo = await vscode.window.showInputBox({
        title: 'Hugging Face repository', prompt: 'owner/name of a GPT-2 repository with model.safetensors',
        placeHolder: 'openai-community/gpt2', validateInput: repoInputError,
      });
      return repo ? { kind: 'repo', value: repo.trim() } : undefined;
    }
    if (picked.label === LOCAL_FOLDER) return this.pickFolder();
    return { kind: 'repo', value: picked.label };
  }

  private async pickFolder(): Promise<{ kind: 'folder'; value: string } | undefined> {
    const uris = await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use Model Folder',
      title: 'Model folder (config.json, model.safetensors, tokenizer.json)',
    });
    return uris?.[0] ? { kind: 'folder', value: uris[0].fsPath } : undefined;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function repoInputError(value: string): string | undefined {
  try {
    validateRepoId(value.trim());
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

function isCancelledDownload(err: unknown): boolean {
  return err instanceof DownloadError && err.kind === 'cancelled';
}

/** A cancelled download or an aborted operation: not an error to report. */
export function isCancelled(err: unknown): boolean {
  return isCancelledDownload(err) || isAbort(err);
}
