// The status bar item: "$(pulse) gpt2: ready"; a click opens the model picker.
import * as vscode from 'vscode';
import type { ModelInfo } from '../engine/types';
import { statusText, type ModelStatus } from './format';

export const SELECT_MODEL_COMMAND = 'attentionInspector.selectModel';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('attentionInspector.model', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Attention Inspector Model';
    this.item.command = SELECT_MODEL_COMMAND;
  }

  update(name: string, status: ModelStatus, info?: ModelInfo): void {
    this.item.text = statusText(name, status);
    this.item.backgroundColor = status.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const lines = [`Attention Inspector model: ${name}`];
    if (info) lines.push(`${info.layers} layers × ${info.heads} heads, d=${info.embd}, context ${info.ctx}, ${info.dtype}`);
    if (status.kind === 'error') lines.push(`Error: ${status.message}`);
    lines.push('Click to choose a model.');
    this.item.tooltip = lines.join('\n');
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
