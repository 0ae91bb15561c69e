// The "Attention Inspector" log channel (a LogOutputChannel: levels, timestamps, user-settable level).
import * as vscode from 'vscode';
import { errorMessage } from './format';

export const LOG_NAME = 'Attention Inspector';

export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel(LOG_NAME, { log: true });
}

/** Log the full error (with stack) and show its first line to the user, with a "Show Log" button. */
export async function reportError(log: vscode.LogOutputChannel, what: string, err: unknown): Promise<void> {
  log.error(`${what}:`, err instanceof Error ? (err.stack ?? err.message) : String(err));
  const choice = await vscode.window.showErrorMessage(`${what}: ${errorMessage(err)}`, 'Show Log');
  if (choice === 'Show Log') log.show(true);
}
