// Export Analysis as JSON: a quick pick of the forms with the size of each (measured by the engine
// worker before anything is written), a save dialog, a check of the free disk space, then the write in
// the worker with a percent progress notification and Cancel. The worker writes `<file>.partial` and
// renames it when complete; cancel or a failure removes it, so no half-written file is ever left.
import { statfs } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JsonExportOptions, JsonSizeTable } from '../engine/jsonExport';
import type { Ctx } from './ctx';
import { describeExport, jsonExportChoices, jsonExportFileName, layerChoices, type JsonExportChoice } from './exportChoices';
import { askSaveUri, announceSaved } from './files';
import { exportProgressMessage, formatBytes, formatSize, isAbort, UserError } from './format';

export interface ExportSource { analysisId: number; sourceName?: string; model: { layers: number; heads: number }; tokens: number; near?: vscode.Uri }

/** Ask which form, where, and write it. Resolves when written, cancelled or dismissed. */
export async function exportAnalysisJson(ctx: Ctx, src: ExportSource): Promise<void> {
  const chosen = await pickForm(ctx, src);
  if (!chosen) return;
  const { picked, sizes } = chosen;
  let options = picked.options;
  if (!options) {
    const layer = await vscode.window.showQuickPick(layerChoices(sizes), {
      title: 'Export Analysis as JSON: one layer', placeHolder: 'Which layer (full precision, every head)',
    });
    if (!layer) return;
    options = { attention: 'f32', layer: layer.layer };
  }
  const size = options.layer !== undefined ? sizes.layers[options.layer]
    : options.attention === 'f32' ? sizes.full : sizes[options.attention];
  const bytes = size.bytes;
  const uri = await askSaveUri(jsonExportFileName(src.sourceName, options), 'json', src.near, `Export Analysis as JSON (${describeExport(options)})`);
  if (!uri) return;
  if (uri.scheme !== 'file') throw new UserError('JSON export writes to a file on this machine: pick a local path.');
  await checkFreeSpace(path.dirname(uri.fsPath), bytes);
  await write(ctx, src.analysisId, uri, options, bytes, size.exact);
}

/**
 * The quick pick opens at once (busy while the worker measures every form), then lists the forms with
 * their sizes. Resolves undefined when dismissed.
 */
async function pickForm(ctx: Ctx, src: ExportSource): Promise<{ picked: JsonExportChoice; sizes: JsonSizeTable } | undefined> {
  const qp = vscode.window.createQuickPick<JsonExportChoice>();
  qp.title = 'Export Analysis as JSON';
  qp.placeholder = 'Measuring the size of each form…';
  qp.matchOnDetail = true;
  qp.busy = true;
  let sizes: JsonSizeTable | undefined;
  try {
    const answer = new Promise<JsonExportChoice | undefined>((resolve) => {
      qp.onDidAccept(() => { if (qp.selectedItems[0]) resolve(qp.selectedItems[0]); });
      qp.onDidHide(() => resolve(undefined));
    });
    qp.show();
    const measured = ctx.client.jsonExportSizes(src.analysisId).then((table) => {
      sizes = table;
      qp.items = jsonExportChoices(table, src.model, src.tokens);
      qp.placeholder = 'What to write: each choice shows the size of its file';
      qp.busy = false;
    });
    measured.catch(() => undefined); // dismissed while measuring: nothing to report
    // A failure to measure rejects (the pick closes); otherwise the answer decides.
    const first = await Promise.race([answer, measured.then(() => answer)]);
    return first && sizes ? { picked: first, sizes } : undefined;
  } finally {
    qp.dispose();
  }
}

async function checkFreeSpace(dir: string, bytes: number): Promise<void> {
  let free: number;
  try {
    const s = await statfs(dir);
    free = Number(s.bavail) * Number(s.bsize);
  } catch {
    return; // unknown: let the write report what happens
  }
  if (free < bytes * 1.01) {
    throw new UserError(`Not enough disk space: the export needs ${formatBytes(bytes)} but ${dir} has ${formatBytes(free)} free. ` +
      'Pick a lighter form (u8, one layer, no attention) or another folder.');
  }
}

async function write(ctx: Ctx, analysisId: number, uri: vscode.Uri, options: JsonExportOptions, bytes: number, exact: boolean): Promise<void> {
  const what = describeExport(options);
  const started = Date.now();
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Exporting analysis JSON (${what}, ${formatSize(bytes, exact)})`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let shown = 0;
      progress.report({ message: exportProgressMessage(0, bytes) });
      try {
        const result = await ctx.client.exportJson(analysisId, uri.fsPath, options, (p) => {
          const percent = p.total > 0 ? (100 * p.done) / p.total : 0;
          progress.report({ message: exportProgressMessage(p.done, p.total), increment: Math.max(0, percent - shown) });
          shown = Math.max(shown, percent);
        }, abort.signal);
        return { written: result.bytes };
      } catch (err) {
        if (isAbort(err)) return { cancelled: true as const };
        throw err;
      }
    },
  );
  if ('cancelled' in outcome) {
    ctx.log.info(`JSON export to ${uri.fsPath} cancelled after ${Date.now() - started} ms; the partial file was removed`);
    void vscode.window.showInformationMessage(`Export cancelled: ${path.basename(uri.fsPath)} was not written.`);
    return;
  }
  ctx.log.info(`Exported analysis ${analysisId} as JSON (${what}, ${formatBytes(outcome.written)}) to ${uri.fsPath} in ${Date.now() - started} ms`);
  void announceSaved(uri, 'Exported');
}
