// Palette / menu command handlers. Each calls the same server command as the code lenses and
// code actions; formatting and argument building live in the pure modules.
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  type LanguageClient,
  ResponseError,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
} from "vscode-languageclient/node";
import type { NeuralClient } from "./client";
import { readSettings, variables } from "./client";
import {
  type CommandId,
  compileCommand,
  type ExecuteCommand,
  LANGUAGE_ID,
  NETWORK_SHAPE_REQUEST,
  runHpoCommand,
  serverCommandUi,
  SETTINGS,
  trainCommand,
} from "./commands";
import {
  asCompileResult,
  asHpoResult,
  asNetworkShape,
  asTrainResult,
  formatHpoResult,
  formatTrainResult,
  type NetworkShape,
  ProgressAdapter,
  type WorkDoneValue,
} from "./results";
import { ensureExtras } from "./extras";
import type { JobKind } from "./interpreter";
import { tuiBaseDir, tuiCommandLine } from "./settings";

const REQUEST_CANCELLED = -32800;
const TUI_TERMINAL = "Neural Experiments";

interface Target {
  document: vscode.TextDocument;
  uri: string;
  network: string | null;
}

/** Asks the server for the network/layer shape at a position; null when there is none. */
export async function networkShapeAt(
  client: LanguageClient,
  document: vscode.TextDocument,
  position: vscode.Position,
  token?: vscode.CancellationToken,
): Promise<NetworkShape | null> {
  const params = { uri: client.code2ProtocolConverter.asUri(document.uri), position: { line: position.line, character: position.character } };
  // Pass the token only when there is one: jsonrpc would send a trailing `undefined` as a
  // second positional parameter (params became [params, null]).
  const result = token ? await client.sendRequest(NETWORK_SHAPE_REQUEST, params, token) : await client.sendRequest(NETWORK_SHAPE_REQUEST, params);
  return asNetworkShape(result);
}

/** The `.neural` document a command is about: the menu's resource, else the active editor. */
async function resolveTarget(client: LanguageClient, resource: unknown): Promise<Target | undefined> {
  let document: vscode.TextDocument | undefined;
  let position: vscode.Position | undefined;
  if (resource instanceof vscode.Uri) {
    document = await vscode.workspace.openTextDocument(resource);
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
    position = editor?.selection.active;
  } else if (vscode.window.activeTextEditor) {
    document = vscode.window.activeTextEditor.document;
    position = vscode.window.activeTextEditor.selection.active;
  }
  if (!document || document.languageId !== LANGUAGE_ID) {
    void vscode.window.showErrorMessage("Open a .neural file first: this command works on the Neural program in the active editor.");
    return undefined;
  }
  let network: string | null = null;
  if (position) {
    try {
      network = (await networkShapeAt(client, document, position))?.network ?? null;
    } catch {
      network = null; // the server then picks the file's first network
    }
  }
  return { document, uri: client.code2ProtocolConverter.asUri(document.uri), network };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs a server command inside a cancellable notification. The server's `$/progress` reports
 * for our workDoneToken fill the notification; Cancel sends `window/workDoneProgress/cancel`,
 * and the server ends the run and answers with what it has.
 */
export function executeWithProgress(client: LanguageClient, title: string, cmd: ExecuteCommand, cancellable: boolean): Thenable<unknown> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable }, async (progress, token) => {
    const workDoneToken = `neural-${randomUUID()}`;
    const adapter = new ProgressAdapter();
    const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => progress.report(adapter.update(value as WorkDoneValue)));
    const onCancel = token.onCancellationRequested(() => {
      progress.report({ message: "cancelling…" });
      void client.sendNotification(WorkDoneProgressCancelNotification.type, { token: workDoneToken });
    });
    try {
      return await client.sendRequest(ExecuteCommandRequest.type, { command: cmd.command, arguments: cmd.arguments, workDoneToken });
    } finally {
      sub.dispose();
      onCancel.dispose();
    }
  });
}

async function reportFailure(what: string, e: unknown): Promise<void> {
  if (e instanceof ResponseError && e.code === REQUEST_CANCELLED) {
    void vscode.window.showInformationMessage(`Neural: ${what} cancelled.`);
    return;
  }
  void vscode.window.showErrorMessage(`Neural: ${what} failed: ${errorText(e)}`);
}

async function openOptimized(optimizedUri: string, text: string): Promise<void> {
  let doc: vscode.TextDocument;
  const uri = optimizedUri ? vscode.Uri.parse(optimizedUri) : undefined;
  if (uri && (uri.scheme !== "file" || fs.existsSync(uri.fsPath))) {
    doc = await vscode.workspace.openTextDocument(uri);
  } else {
    doc = await vscode.workspace.openTextDocument({ language: LANGUAGE_ID, content: text });
  }
  await vscode.window.showTextDocument(doc, { preview: false });
}

export async function openTui(nc: NeuralClient, target?: unknown): Promise<void> {
  // A results lens names its store: one terminal per store.
  const baseDir = tuiBaseDir(target);
  const name = baseDir ? `${TUI_TERMINAL}: ${baseDir}` : TUI_TERMINAL;
  const existing = vscode.window.terminals.find((t) => t.name === name && t.exitStatus === undefined);
  if (existing) {
    existing.show();
    return;
  }
  if (!(await ensureExtras(nc, "tui"))) return;
  let cl;
  try {
    cl = tuiCommandLine(readSettings(), variables(), nc.jobPython(), baseDir);
  } catch (e) {
    void vscode.window.showErrorMessage(`Neural: ${errorText(e)}`);
    return;
  }
  const term = vscode.window.createTerminal({
    name,
    shellPath: cl.command,
    shellArgs: cl.args,
    cwd: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  term.show();
}

/**
 * Runs one of the server's long commands with the extension's UI around it: a notification with
 * progress (and Cancel for HPO and training), then the result. Used by the palette commands and,
 * through the client's executeCommand middleware, by the server's code lenses and code actions,
 * so all three behave the same.
 */
export async function runServerCommand(nc: NeuralClient, client: LanguageClient, cmd: ExecuteCommand): Promise<unknown> {
  const ui = serverCommandUi(cmd);
  const job: JobKind | undefined = ui?.kind === "train" || ui?.kind === "runHpo" ? ui.kind : undefined;
  if (job) {
    if (!(await ensureExtras(nc, job))) return undefined;
    // Installing the extras restarts the server: send the command to the new one.
    client = (await nc.ready()) ?? client;
  }
  if (!ui) return client.sendRequest(ExecuteCommandRequest.type, { command: cmd.command, arguments: cmd.arguments });
  let raw: unknown;
  try {
    raw = await executeWithProgress(client, `Neural: ${ui.title}`, cmd, ui.cancellable);
  } catch (e) {
    await reportFailure(ui.title, e);
    return undefined;
  }
  try {
    if (ui.kind === "compile") {
      const r = asCompileResult(raw);
      // The server also asks to show it (window/showDocument); this covers a client that declined.
      const shown = vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === r.path);
      if (!shown) await vscode.window.showTextDocument(vscode.Uri.file(r.path), { preview: false });
      vscode.window.setStatusBarMessage(`Neural: wrote ${r.path}`, 5000);
    } else if (ui.kind === "runHpo") {
      const r = asHpoResult(raw);
      const open = "Open optimized program";
      void vscode.window.showInformationMessage(formatHpoResult(r), open, "Open Experiments (TUI)").then(async (choice) => {
        if (choice === open) await openOptimized(r.optimized_uri, r.optimized_text);
        else if (choice) await openTui(nc);
      });
    } else {
      const r = asTrainResult(raw);
      void vscode.window.showInformationMessage(formatTrainResult(r), "Open Experiments (TUI)").then(async (choice) => {
        if (choice) await openTui(nc);
      });
    }
  } catch (e) {
    await reportFailure(ui.title, e);
  }
  return raw;
}

/** The handler table; `registerAll` checks it covers COMMANDS exactly. */
export function commandHandlers(nc: NeuralClient): Record<CommandId, (resource?: unknown) => Promise<void> | void> {
  const onTarget = (build: (t: Target) => ExecuteCommand) => async (resource?: unknown) => {
    const client = await nc.ready();
    if (!client) return; // nc already told the user why, with a fix
    const t = await resolveTarget(client, resource);
    if (t) await runServerCommand(nc, client, build(t));
  };
  return {
    "neural.runHpo": onTarget((t) => runHpoCommand(t.uri, t.network, vscode.workspace.getConfiguration().get<number | null>(SETTINGS.hpoTrials, null))),
    "neural.compilePytorch": onTarget((t) => compileCommand(t.uri, "pytorch", t.network)),
    "neural.compileTensorflow": onTarget((t) => compileCommand(t.uri, "tensorflow", t.network)),
    "neural.train": onTarget((t) => trainCommand(t.uri, t.network)),
    "neural.openTui": (target?: unknown) => openTui(nc, target),
    "neural.restartServer": async () => {
      await nc.restart();
    },
  };
}
