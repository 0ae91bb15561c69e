// Saving exports: a save dialog with a sensible default location, writing bytes, and an
// information message with an "Open" button.
import * as os from 'node:os';
import * as vscode from 'vscode';

const FILTERS: Record<string, Record<string, string[]>> = {
  png: { 'PNG image': ['png'] },
  svg: { 'SVG image': ['svg'] },
  csv: { 'CSV table': ['csv'] },
  json: { JSON: ['json'] },
};

/** A default folder: the workspace folder of `near`, else the first workspace folder, else home. */
export function defaultFolder(near?: vscode.Uri): vscode.Uri {
  const folder = (near && vscode.workspace.getWorkspaceFolder(near)) ?? vscode.workspace.workspaceFolders?.[0];
  return folder?.uri ?? vscode.Uri.file(os.homedir());
}

export async function askSaveUri(fileName: string, ext: string, near?: vscode.Uri, title?: string): Promise<vscode.Uri | undefined> {
  return vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(defaultFolder(near), fileName),
    filters: FILTERS[ext] ?? {},
    title,
  });
}

export async function writeBytes(uri: vscode.Uri, bytes: Uint8Array | string): Promise<void> {
  await vscode.workspace.fs.writeFile(uri, typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
}

/** "Saved x.png" with an Open button (opens in VS Code: image preview, or the text editor). */
export async function announceSaved(uri: vscode.Uri, what = 'Saved'): Promise<void> {
  const choice = await vscode.window.showInformationMessage(`${what} ${uri.fsPath || uri.toString()}`, 'Open');
  if (choice === 'Open') await vscode.commands.executeCommand('vscode.open', uri);
}
