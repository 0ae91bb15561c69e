// "Profile Texts…": pick a corpus (current file lines, .jsonl field, .csv column or a folder), run the
// batch profile with a cancellable progress notification (count and ETA; a cancelled run keeps its
// partial result), save `<name>.attention-profile.json` next to the input (or where the user says),
// and show it in the Layer Profile view. Also "Open Profile…" for a saved result.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listCsvColumns, listJsonlFields, readCorpus } from '../engine/corpus';
import type { ProfileResult } from '../engine/types';
import type { Ctx } from './ctx';
import { askSaveUri, writeBytes } from './files';
import { errorMessage, estimateRemainingMs, isAbort } from './format';
import type { ModelManager } from './models';
import { parseProfileResult, profileProgressText, resolveSavePath, type SaveChoice } from './profileFile';
import type { LayerProfileView } from './profileView';
import { nonBlankLines, profileOutputPath } from './text';

interface CorpusChoice {
  texts: string[];
  source: string;
  /** Where to save the result by default (next to the input), if that is a local path. */
  outputPath?: string;
  near?: vscode.Uri;
}

type SourceKind = 'lines' | 'jsonl' | 'csv' | 'folder';

const WRITE_DENIED = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR']);

export class ProfileRunner implements vscode.Disposable {
  private run: AbortController | undefined;

  constructor(private readonly ctx: Ctx, private readonly models: ModelManager, private readonly view: LayerProfileView) {}

  cancel(): void {
    this.run?.abort();
  }

  /** The command. `target` is a file or folder when invoked from the explorer context menu. */
  async profileTexts(target?: vscode.Uri): Promise<void> {
    if (this.run) {
      void vscode.window.showInformationMessage('A profile is already running. Cancel it from its notification first.');
      return;
    }
    const corpus = target?.scheme === 'file' ? await this.fromPath(target) : await this.pickCorpus();
    if (!corpus) return;
    const result = await this.runProfile(corpus);
    if (!result) return;
    const title = result.complete ? corpus.source : `${corpus.source} (partial: ${result.lengths.length} of ${corpus.texts.length})`;
    this.view.showResult(result, 'corpus', title, false, corpus.texts);
    void this.view.reveal();
    const saved = await this.save(result, corpus);
    const done = `Profiled ${result.lengths.length.toLocaleString('en-US')} texts from ${corpus.source}` +
      (result.complete ? '' : ' (cancelled: partial result)');
    if (!saved) {
      void vscode.window.showInformationMessage(`${done}. The result was not saved.`);
      return;
    }
    const choice = await vscode.window.showInformationMessage(`${done}; saved ${saved.fsPath}.`, 'Open JSON');
    if (choice === 'Open JSON') await vscode.commands.executeCommand('vscode.open', saved);
  }

  private async pickCorpus(): Promise<CorpusChoice | undefined> {
    const editor = vscode.window.activeTextEditor;
    const items: (vscode.QuickPickItem & { kind2: SourceKind })[] = [];
    if (editor) items.push({ label: '$(file) Current file', description: `${path.basename(editor.document.uri.path)}, one text per line`, kind2: 'lines' });
    items.push(
      { label: '$(json) JSON Lines file…', description: 'one JSON object per line; pick the text field', kind2: 'jsonl' },
      { label: '$(table) CSV file…', description: 'pick the text column', kind2: 'csv' },
      { label: '$(folder) Folder…', description: 'every .txt and .md file is one text', kind2: 'folder' },
    );
    const picked = await vscode.window.showQuickPick(items, { title: 'Profile Texts: choose the texts' });
    if (!picked) return undefined;
    if (picked.kind2 === 'lines') return editor ? this.fromDocument(editor.document) : undefined;
    const uri = await this.pickPath(picked.kind2);
    return uri ? this.fromPath(uri, picked.kind2) : undefined;
  }

  private fromDocument(doc: vscode.TextDocument): CorpusChoice {
    const texts = nonBlankLines(doc.getText());
    if (texts.length === 0) throw new Error(`${path.basename(doc.uri.path)} has no non-blank lines to profile.`);
    return {
      texts,
      source: `${path.basename(doc.uri.path)} (lines)`,
      outputPath: doc.uri.scheme === 'file' ? profileOutputPath(doc.uri.fsPath) : undefined,
      near: doc.uri,
    };
  }

  private async pickPath(kind: Exclude<SourceKind, 'lines'>): Promise<vscode.Uri | undefined> {
    const filters: Record<string, Record<string, string[]>> = {
      jsonl: { 'JSON Lines': ['jsonl', 'ndjson'] },
      csv: { CSV: ['csv'] },
    };
    const uris = await vscode.window.showOpenDialog({
      canSelectFiles: kind !== 'folder', canSelectFolders: kind === 'folder', canSelectMany: false,
      filters: filters[kind], openLabel: 'Profile',
    });
    return uris?.[0];
  }

  private async fromPath(uri: vscode.Uri, kind?: SourceKind): Promise<CorpusChoice | undefined> {
    if (uri.scheme !== 'file') throw new Error('Profile Texts reads local files only.');
    const file = uri.fsPath;
    const stat = await fsp.stat(file);
    const ext = path.extname(file).toLowerCase();
    const format: SourceKind = kind ?? (stat.isDirectory() ? 'folder' : ext === '.csv' ? 'csv' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : 'lines');
    let opts: { field?: string; column?: string } = {};
    if (format === 'jsonl') {
      const field = await pickName(await listJsonlFields(file), 'text', `Text field of ${path.basename(file)}`, 'string fields');
      if (!field) return undefined;
      opts = { field };
    } else if (format === 'csv') {
      const column = await pickName(await listCsvColumns(file), 'text', `Text column of ${path.basename(file)}`, 'columns');
      if (!column) return undefined;
      opts = { column };
    }
    const corpus = await readCorpus(file, opts);
    if (corpus.skipped > 0) this.ctx.log.info(`${corpus.source}: skipped ${corpus.skipped} empty records`);
    return { texts: corpus.texts, source: corpus.source, outputPath: profileOutputPath(file, stat.isDirectory()), near: uri };
  }

  /** Run the profile with a cancellable notification. Resolves undefined when nothing was computed. */
  private async runProfile(corpus: CorpusChoice): Promise<ProfileResult | undefined> {
    const run = new AbortController();
    this.run = run;
    try {
      await this.models.ensureLoaded();
      const { batchSize, positions } = this.ctx.config.profile;
      const total = corpus.texts.length;
      this.ctx.log.info(`Profiling ${total} texts from ${corpus.source} (batch ${batchSize}, ${positions} positions)`);
      this.models.setStatus({ kind: 'running' });
      const started = Date.now();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Profiling ${corpus.source}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => run.abort());
          let reported = 0;
          const first = `0 / ${total.toLocaleString('en-US')} texts · starting`;
          progress.report({ message: first });
          this.view.showProgress(0, total, first);
          return this.ctx.client.profile(corpus.texts, { batchSize, positions, source: corpus.source }, (p) => {
            // Engine figures: sequences and tokens done within the batch, time left weighted by tokens.
            const eta = p.etaSeconds ?? (() => {
              const ms = estimateRemainingMs(p.done, p.total, Date.now() - started);
              return ms === undefined ? undefined : ms / 1000;
            })();
            const info = { ...p, etaSeconds: eta };
            const message = profileProgressText(info);
            const percent = p.tokensTotal ? (100 * (p.tokensDone ?? 0)) / p.tokensTotal : p.total > 0 ? (100 * p.done) / p.total : 0;
            progress.report({ message, increment: Math.max(0, percent - reported) });
            reported = Math.max(reported, percent);
            this.view.showProgress(p.done, p.total, message, eta === undefined ? undefined : Math.round(eta), percent);
          }, run.signal);
        },
      );
      this.ctx.log.info(`Profiled ${result.lengths.length} of ${total} texts in ${Date.now() - started} ms` +
        `${result.complete ? '' : ' (cancelled)'}; ${result.truncatedCount} truncated`);
      return result;
    } catch (err) {
      if (isAbort(err)) {
        this.view.endProgress();
        void vscode.window.showInformationMessage('Profile cancelled before the first batch finished: nothing to keep.');
        return undefined;
      }
      this.view.showError(`Profile failed: ${errorMessage(err)}`);
      throw err;
    } finally {
      this.run = undefined;
      this.view.endProgress();
      this.models.setStatus(this.models.current ? { kind: 'ready' } : { kind: 'idle' });
    }
  }

  /** Save next to the input; when that is not possible (or there is no input file), ask where. */
  private async save(result: ProfileResult, corpus: CorpusChoice): Promise<vscode.Uri | undefined> {
    const json = JSON.stringify(result, null, 1);
    if (corpus.outputPath) {
      try {
        const target = await resolveSavePath(corpus.outputPath, exists, askOverwrite);
        if (!target) return undefined;
        await fsp.writeFile(target, json);
        return vscode.Uri.file(target);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (!WRITE_DENIED.has(code)) throw err;
        this.ctx.log.warn(`Cannot write ${corpus.outputPath} (${code}); asking where to save`);
      }
    }
    const name = corpus.outputPath ? path.basename(corpus.outputPath) : 'texts.attention-profile.json';
    const uri = await askSaveUri(name, 'json', corpus.near, 'Save Layer Profile');
    if (!uri) return undefined;
    await writeBytes(uri, json);
    return uri;
  }

  /** "Open Profile…": show a saved profile JSON in the Layer Profile view. */
  async openProfile(target?: vscode.Uri): Promise<void> {
    const uri = target ?? (await vscode.window.showOpenDialog({
      canSelectMany: false, filters: { 'Attention profile': ['json'] }, openLabel: 'Open Profile',
    }))?.[0];
    if (!uri) return;
    const name = path.basename(uri.path);
    const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    const result = parseProfileResult(text, name);
    this.view.showResult(result, 'corpus', `${result.source || name} (${name})`);
    await this.view.reveal();
  }

  dispose(): void {
    this.run?.abort();
  }
}

const exists = (p: string): Promise<boolean> => fsp.access(p).then(() => true, () => false);

/** The profile file is already there: ask (modal) whether to overwrite it, write the next free name, or not save. */
async function askOverwrite(existing: string, freeName: string): Promise<SaveChoice> {
  const overwrite = 'Overwrite';
  const newName = `Save as ${path.basename(freeName)}`;
  const picked = await vscode.window.showWarningMessage(`${path.basename(existing)} already exists.`,
    { modal: true, detail: `It holds an earlier profile. Overwrite it, or save this one as ${path.basename(freeName)}?` },
    overwrite, newName);
  return picked === overwrite ? 'overwrite' : picked === newName ? 'newName' : 'cancel';
}

/** Quick pick of a field/column name; `preferred` first when present. Skips the pick when only one. */
async function pickName(names: string[], preferred: string, title: string, what: string): Promise<string | undefined> {
  if (names.length === 0) throw new Error(`${title}: no ${what} found.`);
  if (names.length === 1) return names[0];
  const ordered = names.includes(preferred) ? [preferred, ...names.filter((n) => n !== preferred)] : names;
  const picked = await vscode.window.showQuickPick(ordered.map((label) => ({ label, description: label === preferred ? 'default' : undefined })), { title });
  return picked?.label;
}
