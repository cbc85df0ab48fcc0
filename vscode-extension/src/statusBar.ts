// Status bar item: server state, and the shape of the network/layer under the cursor
// (from `neural/networkShape`, asked for after the cursor rests for SHAPE_DEBOUNCE_MS).
import * as vscode from "vscode";
import type { NeuralClient } from "./client";
import { LANGUAGE_ID } from "./commands";
import { networkShapeAt } from "./handlers";
import { serverLabel } from "./interpreter";
import { Debouncer, type NetworkShape, statusBarText } from "./results";

export const SHAPE_DEBOUNCE_MS = 150;
const METHOD_NOT_FOUND = -32601;

export class ShapeStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly debounce = new Debouncer(SHAPE_DEBOUNCE_MS);
  private readonly subs: vscode.Disposable[] = [];
  private shape: NetworkShape | null = null;
  private pending: vscode.CancellationTokenSource | undefined;
  private supported = true;

  constructor(private readonly nc: NeuralClient) {
    this.item = vscode.window.createStatusBarItem("neural.status", vscode.StatusBarAlignment.Left, 0);
    this.item.name = "Neural";
    this.subs.push(
      nc.onDidChangeState(() => {
        this.shape = null;
        this.supported = true;
        this.render();
        this.schedule();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => {
        this.shape = null;
        this.render();
        this.schedule();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.languageId === LANGUAGE_ID) this.schedule();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document && e.document.languageId === LANGUAGE_ID) this.schedule();
      }),
    );
    this.render();
    this.schedule();
  }

  private schedule(): void {
    this.debounce.schedule(() => void this.lookup());
  }

  private async lookup(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = this.nc.running;
    this.pending?.cancel();
    if (!editor || editor.document.languageId !== LANGUAGE_ID || !client || !this.supported) return;
    const cts = new vscode.CancellationTokenSource();
    this.pending = cts;
    try {
      const shape = await networkShapeAt(client, editor.document, editor.selection.active, cts.token);
      if (cts.token.isCancellationRequested) return;
      this.shape = shape;
    } catch (e) {
      if (cts.token.isCancellationRequested) return;
      if ((e as { code?: number }).code === METHOD_NOT_FOUND) this.supported = false;
      this.shape = null;
    } finally {
      if (this.pending === cts) this.pending = undefined;
      cts.dispose();
    }
    this.render();
  }

  private render(): void {
    const editor = vscode.window.activeTextEditor;
    const state = this.nc.state;
    const onNeural = editor?.document.languageId === LANGUAGE_ID;
    if (!onNeural && state !== "failed") {
      this.item.hide();
      return;
    }
    const { text, tooltip } = statusBarText(state, onNeural ? this.shape : null);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.command = state === "running" ? undefined : { command: "neural.restartServer", title: "Restart Server" };
    this.item.backgroundColor = state === "failed" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    this.item.show();
  }

  dispose(): void {
    this.debounce.cancel();
    this.pending?.cancel();
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}

/** Which server runs (bundled, environment or custom) and its version, beside the language mode. */
export class ServerStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly nc: NeuralClient) {
    this.item = vscode.window.createStatusBarItem("neural.server", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "Neural Language Server";
    this.item.command = { command: "neural.restartServer", title: "Restart Server" };
    this.subs.push(
      nc.onDidChangeState(() => this.render()),
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
    );
    this.render();
  }

  private render(): void {
    const server = this.nc.server;
    if (!server || this.nc.state !== "running" || vscode.window.activeTextEditor?.document.languageId !== LANGUAGE_ID) {
      this.item.hide();
      return;
    }
    const { text, tooltip } = serverLabel(server.kind, server.version, server.python);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}
