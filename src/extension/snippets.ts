// Code snippets: the selection goes out with its workspace-relative path, 1-based line range and
// language; a receiver who has the same file opens it at those lines. The path is peer input, so it
// is resolved only inside this window's workspace folders, never as an absolute path or through `..`.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MessageBody } from '../chat';

/** The snippet for an editor's selection (the current line when nothing is selected). */
export function snippetOf(editor: vscode.TextEditor): MessageBody & { kind: 'snippet' } {
  const doc = editor.document;
  let range: vscode.Range = editor.selection;
  if (range.isEmpty) range = doc.lineAt(range.start.line).range;
  // A selection that ends at the start of a line does not include that line.
  const endLine = range.end.line > range.start.line && range.end.character === 0 ? range.end.line - 1 : range.end.line;
  return {
    kind: 'snippet',
    text: doc.getText(range),
    path: shareablePath(doc.uri),
    startLine: range.start.line + 1,
    endLine: endLine + 1,
    language: doc.languageId,
  };
}

/** Workspace-relative with `/`; for a file outside the workspace only its name, so a local path never leaks. */
function shareablePath(uri: vscode.Uri): string {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) return path.posix.basename(uri.path);
  return vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
}

/** Why a peer's snippet path must not be opened, or undefined when it may be looked up. */
export function pathProblem(p: string): string | undefined {
  if (p === '' || p.includes('\0')) return 'it is empty';
  if (p.startsWith('/') || p.startsWith('\\') || /^[a-zA-Z]:/.test(p) || /^[a-z][a-z0-9+.-]*:/i.test(p)) return 'it is absolute';
  if (p.split(/[\\/]/).includes('..')) return 'it leads out of the workspace';
  return undefined;
}

/** The file a snippet names, looked up in each workspace folder (for multi-root, also as `folder/path`). */
export async function resolveSnippet(p: string): Promise<vscode.Uri | undefined> {
  const segments = p.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
  const candidates: vscode.Uri[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (segments.length > 1 && segments[0] === folder.name) candidates.push(vscode.Uri.joinPath(folder.uri, ...segments.slice(1)));
    candidates.push(vscode.Uri.joinPath(folder.uri, ...segments));
  }
  for (const uri of candidates) {
    try {
      if ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.File) return uri;
    } catch {
      // Not in this folder: try the next.
    }
  }
  return undefined;
}

/** Opens `uri` with the snippet's lines selected, in a column other than the chat's. */
export async function showLines(uri: vscode.Uri, startLine: number, endLine: number, chatColumn?: vscode.ViewColumn): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const last = doc.lineCount - 1;
  const from = Math.min(Math.max(startLine - 1, 0), last);
  const to = Math.min(Math.max(endLine - 1, from), last);
  const selection = new vscode.Selection(from, 0, to, doc.lineAt(to).range.end.character);
  const viewColumn = chatColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
  const editor = await vscode.window.showTextDocument(doc, { viewColumn, selection, preview: true });
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}
