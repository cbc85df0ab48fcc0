// Entry point: wires the client, the commands and the status bar together. The logic lives in
// client.ts / handlers.ts (VS Code side) and settings.ts / commands.ts / results.ts (pure).
import * as vscode from "vscode";
import { NeuralClient } from "./client";
import { registerAll, RESTART_SETTINGS, serverCommandUi } from "./commands";
import { commandHandlers, runServerCommand } from "./handlers";
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
  void nc.start();
}

export async function deactivate(): Promise<void> {
  await neural?.stop();
  neural = undefined;
}
