// Painting attention onto the document. The TextEditorDecorationTypes (one per intensity bucket, the
// query border, the truncation mark) are created once and reused; they are rebuilt only when the
// colour scheme, opacity or colour theme changes. What is painted is remembered per document, relative
// to the analyzed range, so it can be re-applied when an editor becomes visible or the range moves.
import * as vscode from 'vscode';
import { BUCKETS, bucketColors, type ThemeKind } from './colors';
import type { ColorScheme } from './config';
import type { OffsetRange } from './text';

export interface PaintSpec {
  /** Start of the analyzed range in the document; all ranges below are relative to it. */
  base: number;
  /** buckets[b] = key token ranges painted with intensity bucket b. */
  buckets: OffsetRange[][];
  query?: OffsetRange;
}

export interface CutSpec {
  base: number;
  /** Relative offset where the analysis stops, and relative end of the selected text. */
  at: number;
  end: number;
  label: string;
}

interface DocumentPaint { paint?: PaintSpec; cut?: CutSpec }

export class Decorations implements vscode.Disposable {
  private bucketTypes: vscode.TextEditorDecorationType[] = [];
  private readonly queryType = vscode.window.createTextEditorDecorationType({
    borderWidth: '1px', borderStyle: 'solid', borderColor: new vscode.ThemeColor('focusBorder'), borderRadius: '2px',
  });
  private readonly cutType = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic', margin: '0 0 0 0.5em' },
  });
  private readonly cutTailType = vscode.window.createTextEditorDecorationType({ opacity: '0.55' });
  private readonly documents = new Map<string, DocumentPaint>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly style: () => { scheme: ColorScheme; opacity: number }) {
    this.rebuild();
    this.disposables.push(
      vscode.window.onDidChangeActiveColorTheme(() => this.rebuild()),
      vscode.window.onDidChangeVisibleTextEditors((editors) => {
        for (const e of editors) if (this.documents.has(e.document.uri.toString())) this.apply(e);
      }),
    );
  }

  /** Recreate the bucket types (after a colour setting or theme change) and repaint. */
  rebuild(): void {
    for (const t of this.bucketTypes) t.dispose();
    const { scheme, opacity } = this.style();
    const kind = vscode.window.activeColorTheme.kind as number as ThemeKind;
    this.bucketTypes = bucketColors(scheme, opacity, kind, BUCKETS).map((backgroundColor) =>
      vscode.window.createTextEditorDecorationType({ backgroundColor, borderRadius: '2px' }));
    for (const e of vscode.window.visibleTextEditors) this.apply(e);
  }

  paint(document: vscode.TextDocument, spec: PaintSpec): void {
    this.entry(document.uri).paint = spec;
    this.applyToDocument(document.uri);
  }

  setCut(document: vscode.TextDocument, cut: CutSpec | undefined): void {
    this.entry(document.uri).cut = cut;
    this.applyToDocument(document.uri);
  }

  /** The analyzed range moved (an edit before it): keep the paint attached to the same text. */
  rebase(uri: vscode.Uri, base: number): void {
    const entry = this.documents.get(uri.toString());
    if (!entry) return;
    if (entry.paint) entry.paint = { ...entry.paint, base };
    if (entry.cut) entry.cut = { ...entry.cut, base };
  }

  /** Remove the attention paint (and optionally the truncation mark) of one document. */
  clear(uri: vscode.Uri, includeCut = true): void {
    const entry = this.documents.get(uri.toString());
    if (!entry) return;
    entry.paint = undefined;
    if (includeCut) entry.cut = undefined;
    if (!entry.cut) this.documents.delete(uri.toString());
    this.applyToDocument(uri, entry);
  }

  clearAll(): void {
    const uris = [...this.documents.keys()];
    this.documents.clear();
    for (const e of vscode.window.visibleTextEditors) if (uris.includes(e.document.uri.toString())) this.apply(e);
  }

  private entry(uri: vscode.Uri): DocumentPaint {
    const key = uri.toString();
    let entry = this.documents.get(key);
    if (!entry) this.documents.set(key, (entry = {}));
    return entry;
  }

  private applyToDocument(uri: vscode.Uri, entry?: DocumentPaint): void {
    for (const e of vscode.window.visibleTextEditors) {
      if (e.document.uri.toString() === uri.toString()) this.apply(e, entry);
    }
  }

  private apply(editor: vscode.TextEditor, fallback?: DocumentPaint): void {
    const entry = this.documents.get(editor.document.uri.toString()) ?? fallback ?? {};
    const doc = editor.document;
    const toRange = (base: number, r: OffsetRange) => new vscode.Range(doc.positionAt(base + r.start), doc.positionAt(base + r.end));
    const paint = entry.paint;
    this.bucketTypes.forEach((type, b) => editor.setDecorations(type, paint ? (paint.buckets[b] ?? []).map((r) => toRange(paint.base, r)) : []));
    editor.setDecorations(this.queryType, paint?.query ? [toRange(paint.base, paint.query)] : []);
    const cut = entry.cut;
    editor.setDecorations(this.cutType, cut ? [{
      range: toRange(cut.base, { start: cut.at, end: cut.at }),
      renderOptions: { after: { contentText: cut.label } },
    }] : []);
    editor.setDecorations(this.cutTailType, cut && cut.end > cut.at ? [toRange(cut.base, { start: cut.at, end: cut.end })] : []);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const t of this.bucketTypes) t.dispose();
    this.queryType.dispose();
    this.cutType.dispose();
    this.cutTailType.dispose();
  }
}
