// Activation: build the services, register commands, the hover, the panel serializer and the Layer
// Profile view. Everything heavy (the engine worker, the model) starts on first use.
import * as vscode from 'vscode';
import { AnalysisController } from './analysis';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { registerHover } from './hover';
import { ModelManager } from './models';
import { PANEL_VIEW_TYPE } from './panel';
import { LayerProfileView, PROFILE_VIEW_ID } from './profileView';
import { ProfileRunner } from './profileTexts';
import { GenerationController } from './generation';
import { LiveMode } from './live';

let ctx: Ctx | undefined;

export function activate(extension: vscode.ExtensionContext): void {
  ctx = new Ctx(extension);
  const c = ctx;
  extension.subscriptions.push({ dispose: () => void c.dispose() });
  const models = new ModelManager(c);
  const analysis = new AnalysisController(c, models);
  let profiles: ProfileRunner | undefined;
  const view = new LayerProfileView(c, {
    openHead: (layer, head) => analysis.openHead(layer, head),
    cancelProfile: () => profiles?.cancel(),
    analyze: (document, input) => analysis.analyze(document, input),
  });
  profiles = new ProfileRunner(c, models, view);
  c.push(models, analysis, view, profiles);
  const generation = new GenerationController(c, models, analysis);
  const live = new LiveMode(c, analysis);
  c.push(generation, live);
  c.push(...registerCommands({ ctx: c, models, analysis, profiles, generation, live }));
  c.push(registerHover((doc) => analysis.sessionFor(doc)));
  c.push(analysis.onDidAnalyze((s) => void view.profileSelection(s.summary.analysisId, `${s.summary.sourceName ?? 'selection'} (selection)`)));
  c.push(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
    deserializeWebviewPanel: (panel) => analysis.restorePanel(panel),
  }));
  c.push(vscode.window.registerWebviewViewProvider(PROFILE_VIEW_ID, view));
  c.log.info(`Activated (${extension.extension.packageJSON.version as string}); model ${models.displayName}`);
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  await c?.dispose();
}
