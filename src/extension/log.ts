// The "Attention Inspector" log channel (a LogOutputChannel: levels, timestamps, user-settable level).
import * as vscode from 'vscode';

export const LOG_NAME = 'Attention Inspector';

export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel(LOG_NAME, { log: true });
}
