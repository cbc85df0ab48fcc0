// Entry point: wires the client, the commands and the status bar together. The logic lives in
// client.ts / handlers.ts (VS Code side) and settings.ts / commands.ts / results.ts (pure).
import * as vscode from "vscode";
import { NeuralClient, onPythonExtensionChange, readSettings, variables } from "./client";
import { registerAll, RESTART_SETTINGS, serverCommandUi } from "./commands";
import { commandHandlers, runServerCommand } from "./handlers";
import { resolveInterpreter } from "./settings";
import { ServerStatus, ShapeStatus } from "./statusBar";

let neural: NeuralClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const nc = new NeuralClient(context.extensionPath);
  neural = nc;
  nc.serverCommandRunner = (client, command, args) =>
    serverCommandUi({ command, arguments: args }) ? runServerCommand(nc, client, { command, arguments: args }) : undefined;
  context.subscriptions.push(
    nc,
    ...registerAll(commandHandlers(nc), (id, handler) => vscode.commands.registerCommand(id, handler)),
    new ShapeStatus(nc),
    new ServerStatus(nc),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) void nc.restart();
    }),
  );
  // A new interpreter selected in the Python extension matters only while neural.interpreter is empty.
  void onPythonExtensionChange(() => {
    if (resolveInterpreter(readSettings(), variables()).source !== "setting") void nc.restart();
  }).then((d) => d && context.subscriptions.push(d));
  void nc.start();
}

export async function deactivate(): Promise<void> {
  await neural?.stop();
  neural = undefined;
}
