// The command table: palette commands, their menus, and the server commands they call.
// Pure (no `vscode` import): package.json's `contributes.commands`/`menus` are tested against
// it, and extension.ts registers exactly these ids through `registerAll`.

export const LANGUAGE_ID = "neural";

/** Server-side `workspace/executeCommand` ids. Lenses and code actions use the same ones. */
export const SERVER_COMMANDS = {
  runHpo: "neural.server.runHpo",
  compile: "neural.server.compile",
  train: "neural.server.train",
} as const;

/** Custom request: shape of the network/layer under the cursor. */
export const NETWORK_SHAPE_REQUEST = "neural/networkShape";

export type Backend = "pytorch" | "tensorflow";

export type CommandId =
  | "neural.runHpo"
  | "neural.compilePytorch"
  | "neural.compileTensorflow"
  | "neural.train"
  | "neural.openTui"
  | "neural.restartServer";

export interface CommandSpec {
  id: CommandId;
  /** Shown as "Neural: <title>" in the palette. */
  title: string;
  /** A codicon for the editor title bar; commands with one appear there as buttons. */
  icon?: string;
  /** Needs an open `.neural` editor: hidden from the palette and menus elsewhere. */
  needsNeuralFile: boolean;
  /** Shown in the editor title bar ("navigation" = a button, otherwise the "..." menu). */
  editorTitle?: "navigation" | "overflow";
  /** Shown in the editor's right-click menu. */
  editorContext: boolean;
}

export const CATEGORY = "Neural";

export const COMMANDS: readonly CommandSpec[] = [
  { id: "neural.runHpo", title: "Run HPO", icon: "$(beaker)", needsNeuralFile: true, editorTitle: "navigation", editorContext: true },
  { id: "neural.compilePytorch", title: "Compile to PyTorch", needsNeuralFile: true, editorTitle: "overflow", editorContext: true },
  { id: "neural.compileTensorflow", title: "Compile to TensorFlow", needsNeuralFile: true, editorTitle: "overflow", editorContext: true },
  { id: "neural.train", title: "Train", icon: "$(play)", needsNeuralFile: true, editorTitle: "navigation", editorContext: true },
  { id: "neural.openTui", title: "Open Experiments (TUI)", needsNeuralFile: false, editorTitle: "overflow", editorContext: true },
  { id: "neural.restartServer", title: "Restart Server", needsNeuralFile: false, editorContext: false },
];

/** Settings read by the client or the server; package.json must declare each of them. */
export const SETTINGS = {
  interpreter: "neural.interpreter",
  importStrategy: "neural.importStrategy",
  pythonPath: "neural.pythonPath",
  serverPath: "neural.server.path",
  serverArgs: "neural.server.args",
  trace: "neural.trace.server",
  inlayShapes: "neural.inlayHints.shapes",
  inlayBestValues: "neural.inlayHints.bestValues",
  experimentsDir: "neural.experiments.baseDir",
  diagnosticsLevel: "neural.diagnostics.level",
  hpoTrials: "neural.hpo.trials",
} as const;

/** Changing one of these changes the server's command line, so the server is restarted. */
export const RESTART_SETTINGS: readonly string[] = [SETTINGS.interpreter, SETTINGS.importStrategy, SETTINGS.pythonPath, SETTINGS.serverPath, SETTINGS.serverArgs];

export interface ExecuteCommand {
  command: string;
  arguments: unknown[];
}

export function runHpoCommand(uri: string, network: string | null, trials: number | null): ExecuteCommand {
  const t = trials !== null && Number.isInteger(trials) && trials > 0 ? trials : null;
  return { command: SERVER_COMMANDS.runHpo, arguments: [uri, network, t] };
}

export function compileCommand(uri: string, backend: Backend, network: string | null): ExecuteCommand {
  return { command: SERVER_COMMANDS.compile, arguments: [uri, backend, network] };
}

export function trainCommand(uri: string, network: string | null): ExecuteCommand {
  return { command: SERVER_COMMANDS.train, arguments: [uri, network] };
}

export interface ServerCommandUi {
  kind: "runHpo" | "compile" | "train";
  /** Notification title and the name used in messages. */
  title: string;
  cancellable: boolean;
}

const BACKEND_LABELS: Record<Backend, string> = { pytorch: "PyTorch", tensorflow: "TensorFlow" };

/**
 * Which server commands get the extension's progress notification and result handling, whoever
 * invokes them (palette, code lens, code action); undefined for any other command.
 */
export function serverCommandUi(cmd: ExecuteCommand): ServerCommandUi | undefined {
  switch (cmd.command) {
    case SERVER_COMMANDS.runHpo:
      return { kind: "runHpo", title: "Run HPO", cancellable: true };
    case SERVER_COMMANDS.train:
      return { kind: "train", title: "Train", cancellable: true };
    case SERVER_COMMANDS.compile: {
      const backend = cmd.arguments[1];
      const label = typeof backend === "string" && backend in BACKEND_LABELS ? BACKEND_LABELS[backend as Backend] : String(backend);
      return { kind: "compile", title: `Compile to ${label}`, cancellable: false };
    }
    default:
      return undefined;
  }
}

/**
 * Registers one handler per COMMANDS entry and refuses a handler table that has more or fewer
 * ids: a command in package.json with no handler fails loudly at activation instead of
 * showing "command not found" to a user.
 */
export function registerAll<H, D>(handlers: Readonly<Record<CommandId, H>>, register: (id: CommandId, handler: H) => D): D[] {
  const ids = new Set<string>(COMMANDS.map((c) => c.id));
  const extra = Object.keys(handlers).filter((k) => !ids.has(k));
  const missing = [...ids].filter((id) => !Object.prototype.hasOwnProperty.call(handlers, id));
  if (extra.length || missing.length) {
    throw new Error(`command table mismatch: missing handlers ${JSON.stringify(missing)}, unknown ${JSON.stringify(extra)}`);
  }
  return COMMANDS.map((c) => register(c.id, handlers[c.id]));
}

type MenuItem = { command: string; when?: string; group?: string };

/**
 * What package.json's `contributes.commands` and `contributes.menus` must say for COMMANDS.
 * The unit test compares the two, so the manifest and the code cannot drift apart.
 */
export function expectedContributions(): { commands: object[]; menus: Record<string, MenuItem[]> } {
  const commands = COMMANDS.map((c) => ({
    command: c.id,
    title: c.title,
    category: CATEGORY,
    ...(c.icon ? { icon: c.icon } : {}),
  }));
  const langFile = `resourceLangId == ${LANGUAGE_ID}`;
  const langEditor = `editorLangId == ${LANGUAGE_ID}`;
  const palette: MenuItem[] = COMMANDS.filter((c) => c.needsNeuralFile).map((c) => ({ command: c.id, when: langEditor }));
  const title: MenuItem[] = COMMANDS.filter((c) => c.editorTitle).map((c, i) => ({
    command: c.id,
    when: langFile,
    group: c.editorTitle === "navigation" ? "navigation" : `1_neural@${i + 1}`,
  }));
  const context: MenuItem[] = COMMANDS.filter((c) => c.editorContext).map((c, i) => ({
    command: c.id,
    when: langEditor,
    group: `1_neural@${i + 1}`,
  }));
  return { commands, menus: { commandPalette: palette, "editor/title": title, "editor/context": context } };
}
