// Every command of the extension, in one table. Each command catches, logs and shows its error;
// nothing the user has (selection, document) is touched on failure. A user mistake (UserError) is an
// information message; a failure is an error with "Show Log" (and the way out, for an ActionableError).
import * as vscode from 'vscode';
import type { AnalysisController } from './analysis';
import type { Ctx } from './ctx';
import { ActionableError, errorMessage, isUserError } from './format';
import { isCancelled, type ModelManager } from './models';
import type { ProfileRunner } from './profileTexts';
import type { GenerationController } from './generation';
import type { LiveMode } from './live';

export const COMMANDS = {
  showAttention: 'attentionInspector.showAttention',
  selectModel: 'attentionInspector.selectModel',
  downloadModel: 'attentionInspector.downloadModel',
  clearModelCache: 'attentionInspector.clearModelCache',
  clearAttention: 'attentionInspector.clearAttention',
  profileTexts: 'attentionInspector.profileTexts',
  openProfile: 'attentionInspector.openProfile',
  exportPng: 'attentionInspector.exportPng',
  exportSvg: 'attentionInspector.exportSvg',
  exportJson: 'attentionInspector.exportJson',
  showLog: 'attentionInspector.showLog',
  generateFromSelection: 'attentionInspector.generateFromSelection',
  toggleLive: 'attentionInspector.toggleLive',
} as const;

export interface Services {
  ctx: Ctx;
  models: ModelManager;
  analysis: AnalysisController;
  profiles: ProfileRunner;
  generation: GenerationController;
  live: LiveMode;
}

type Handler = (...args: unknown[]) => unknown;

const TITLES: Record<keyof typeof COMMANDS, string> = {
  showAttention: 'Show Attention failed',
  selectModel: 'Select Model failed',
  downloadModel: 'Download failed',
  clearModelCache: 'Clear Model Cache failed',
  clearAttention: 'Clear Attention failed',
  profileTexts: 'Profile Texts failed',
  openProfile: 'Open Profile failed',
  exportPng: 'Export PNG failed',
  exportSvg: 'Export SVG failed',
  exportJson: 'Export JSON failed',
  showLog: 'Show Log failed',
  generateFromSelection: 'Generate From Selection failed',
  toggleLive: 'Live mode failed',
};

const asUri = (v: unknown): vscode.Uri | undefined => (v instanceof vscode.Uri ? v : undefined);

function handlers(s: Services): Record<keyof typeof COMMANDS, Handler> {
  return {
    showAttention: () => s.analysis.showAttention(),
    selectModel: (only) => s.models.selectModel(only === 'folder' ? 'folder' : undefined),
    downloadModel: () => s.models.downloadModel(),
    clearModelCache: () => s.models.clearModelCache(),
    clearAttention: () => s.analysis.clearAttention(),
    profileTexts: (uri) => s.profiles.profileTexts(asUri(uri)),
    openProfile: (uri) => s.profiles.openProfile(asUri(uri)),
    exportPng: () => s.analysis.requestExport('png'),
    exportSvg: () => s.analysis.requestExport('svg'),
    exportJson: () => s.analysis.exportJson(),
    showLog: () => s.ctx.log.show(),
    generateFromSelection: () => s.generation.generateFromSelection(),
    toggleLive: () => s.live.set(!s.live.isEnabled),
  };
}

export function registerCommands(s: Services): vscode.Disposable[] {
  const table = handlers(s);
  return (Object.keys(COMMANDS) as (keyof typeof COMMANDS)[]).map((name) =>
    vscode.commands.registerCommand(COMMANDS[name], async (...args: unknown[]) => {
      try {
        await table[name](...args);
      } catch (err) {
        if (isCancelled(err)) {
          s.ctx.log.info(`${COMMANDS[name]}: cancelled`);
          return;
        }
        await showFailure(s.ctx, TITLES[name], err);
      }
    }));
}

/** How a command's error reaches the user. */
export async function showFailure(ctx: Ctx, title: string, err: unknown): Promise<void> {
  if (isUserError(err)) {
    ctx.log.info(`${title.replace(/ failed$/, '')}: ${errorMessage(err)}`);
    void vscode.window.showInformationMessage(errorMessage(err));
    return;
  }
  ctx.log.error(`${title}:`, err instanceof Error ? (err.stack ?? err.message) : String(err));
  const actions = err instanceof ActionableError ? err.actions : [];
  const choice = await vscode.window.showErrorMessage(`${title}: ${errorMessage(err)}`, ...actions.map((a) => a.title), 'Show Log');
  if (choice === 'Show Log') ctx.log.show(true);
  const action = actions.find((a) => a.title === choice);
  if (action) await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
}
