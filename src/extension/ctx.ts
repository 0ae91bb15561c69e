// Lifetime and disposal: the one object that owns the log, the settings snapshot and the engine
// client. The client (a worker thread) is created on first use, so activation stays cheap.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createEngineClient, type EngineClient } from '../engine/client';
import { affects, readConfig, type Config } from './config';
import { createLog } from './log';

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  private configValue: Config;
  private clientValue: EngineClient | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly configChanged = new vscode.EventEmitter<vscode.ConfigurationChangeEvent>();
  /** Fires after `config` has been refreshed, for changes inside our section only. */
  readonly onDidChangeConfig = this.configChanged.event;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = createLog();
    this.configValue = readConfig(vscode.workspace);
    this.push(this.log, this.configChanged);
    this.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affects(e)) return;
      this.configValue = readConfig(vscode.workspace);
      this.configChanged.fire(e);
    }));
  }

  get config(): Config {
    return this.configValue;
  }

  get extensionUri(): vscode.Uri {
    return this.extension.extensionUri;
  }

  /** Where downloaded models live (our own cache; the Hugging Face cache is reused when present). */
  get storageDir(): string {
    return this.extension.globalStorageUri.fsPath;
  }

  /** The engine client, started on first use, and started again if its worker died (e.g. out of memory). */
  get client(): EngineClient {
    if (this.clientValue && !this.clientValue.alive) {
      this.log.warn('The engine worker stopped; starting a new one (the model is loaded again on the next analysis).');
      this.clientValue = undefined;
    }
    if (!this.clientValue) {
      const workerPath = path.join(this.extension.extensionPath, 'dist', 'worker.js');
      this.log.info(`Starting the engine worker (${workerPath})`);
      this.clientValue = createEngineClient(workerPath);
    }
    return this.clientValue;
  }

  push(...disposables: vscode.Disposable[]): void {
    this.disposables.push(...disposables);
  }

  async dispose(): Promise<void> {
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (err) {
        console.error('Attention Inspector: dispose failed', err);
      }
    }
    const client = this.clientValue;
    this.clientValue = undefined;
    await client?.dispose();
  }
}
