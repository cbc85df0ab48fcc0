// The language client's life: start from settings, explain a failed start, restart, and
// publish the server state. The decisions are in settings.ts (pure, unit-tested).
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Readable } from "stream";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";
import { LANGUAGE_ID, SETTINGS } from "./commands";
import {
  BUNDLED_SERVER,
  describeInterpreterProblem,
  jobPython,
  parsePythonVersion,
  pythonFromExtensionApi,
  type PythonVersion,
  VERSION_PROBE,
} from "./interpreter";
import type { ServerState } from "./results";
import {
  describeStartFailure,
  formatCommandLine,
  pythonCommand,
  RestartPolicy,
  type ServerLaunch,
  type ServerSettings,
  serverCommandLine,
  type Variables,
} from "./settings";

export const CLIENT_ID = "neural";
export const CLIENT_NAME = "Neural Language Server";

export function readSettings(): ServerSettings {
  const c = vscode.workspace.getConfiguration();
  return {
    interpreter: c.get<string>(SETTINGS.interpreter),
    importStrategy: c.get<string>(SETTINGS.importStrategy),
    pythonPath: c.get<string>(SETTINGS.pythonPath),
    serverPath: c.get<string>(SETTINGS.serverPath),
    serverArgs: c.get<string[]>(SETTINGS.serverArgs),
  };
}

export function variables(): Variables {
  return {
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    userHome: os.homedir(),
    env: process.env,
  };
}

const PYTHON_EXTENSION = "ms-python.python";

/** The Python extension's interpreter for the workspace; undefined without that extension. */
export async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension(PYTHON_EXTENSION);
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    return await pythonFromExtensionApi(api, vscode.workspace.workspaceFolders?.[0]?.uri);
  } catch {
    return undefined;
  }
}

/** Calls `listener` when the Python extension's selected interpreter changes; undefined without it. */
export async function onPythonExtensionChange(listener: () => void): Promise<vscode.Disposable | undefined> {
  const ext = vscode.extensions.getExtension(PYTHON_EXTENSION);
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const event = (api as { environments?: { onDidChangeActiveEnvironmentPath?: unknown } } | undefined)?.environments?.onDidChangeActiveEnvironmentPath;
    return typeof event === "function" ? (event as (l: () => void) => vscode.Disposable)(listener) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `<python> -c VERSION_PROBE`: the version, or notFound when there is no such program. */
export function probePython(python: string): Promise<{ notFound?: boolean; version?: PythonVersion }> {
  return new Promise((resolve) => {
    execFile(python, ["-c", VERSION_PROBE], { timeout: 15000 }, (err, stdout) => {
      if (err && ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "EACCES")) resolve({ notFound: true });
      else resolve({ version: parsePythonVersion(String(stdout)) });
    });
  });
}

/** The server that runs: its kind, version (from `initialize`) and interpreter. */
export interface RunningServer {
  kind: ServerLaunch["kind"];
  version: string | undefined;
  python: string | undefined;
}

/** Keeps the last lines the server wrote to stderr, to explain a failed start. */
class StderrTail {
  private lines: string[] = [];
  private closed!: Promise<void>;
  attach(input: Readable, log: vscode.LogOutputChannel): void {
    let buf = "";
    this.closed = new Promise((resolve) => {
      input.on("close", resolve);
      input.on("end", resolve);
    });
    input.setEncoding("utf8");
    input.on("data", (chunk: string) => {
      buf += chunk;
      const parts = buf.split(/\r?\n/);
      buf = parts.pop() ?? "";
      for (const line of parts) this.push(line, log);
    });
    input.on("end", () => {
      if (buf) this.push(buf, log);
      buf = "";
    });
  }
  private push(line: string, log: vscode.LogOutputChannel): void {
    log.error(line);
    this.lines.push(line);
    if (this.lines.length > 50) this.lines.shift();
  }
  /** The tail, once the stream closed (or after `ms`, for a server that hangs). */
  async text(ms: number): Promise<string> {
    if (this.closed) await Promise.race([this.closed, new Promise((r) => setTimeout(r, ms))]);
    return this.lines.join("\n");
  }
}

/**
 * The generic "couldn't create connection to server" notification is replaced by ours, which
 * says what is wrong and how to fix it; it still goes to the output channel.
 */
class NeuralLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification: boolean | "force" = true): void {
    const replaced = /couldn't create connection to server/.test(message);
    super.error(message, data, replaced ? false : showNotification);
  }
}

/** Runs a server command with the extension's UI; see handlers.runServerCommand. */
export type ServerCommandRunner = (client: LanguageClient, command: string, args: unknown[]) => Promise<unknown> | undefined;

export class NeuralClient implements vscode.Disposable {
  /** Set by the extension: lens and code-action invocations of server commands go through it. */
  serverCommandRunner: ServerCommandRunner | undefined;
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient | undefined> | undefined;
  private readonly policy = new RestartPolicy();
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private _state: ServerState = "stopped";
  readonly log: vscode.LogOutputChannel;
  readonly trace: vscode.LogOutputChannel;
  /** The server that is running (undefined while none is). */
  server: RunningServer | undefined;
  private launch: ServerLaunch | undefined;

  constructor(readonly extensionPath: string = path.join(__dirname, "..")) {
    this.log = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
    this.trace = vscode.window.createOutputChannel(`${CLIENT_NAME} Trace`, { log: true });
  }

  get state(): ServerState {
    return this._state;
  }

  private setState(s: ServerState): void {
    if (s !== this._state) {
      this._state = s;
      this.stateEmitter.fire(s);
    }
  }

  /** The running client, starting it if needed; undefined (after telling the user) if it cannot start. */
  async ready(): Promise<LanguageClient | undefined> {
    if (this.client && this.client.state === State.Running) return this.client;
    return this.starting ?? this.start();
  }

  start(): Promise<LanguageClient | undefined> {
    this.starting = this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doStart(): Promise<LanguageClient | undefined> {
    const settings = readSettings();
    let cl: ServerLaunch;
    this.server = undefined;
    const bundled = path.join(this.extensionPath, ...BUNDLED_SERVER);
    try {
      cl = serverCommandLine(settings, variables(), {
        bundledServer: fs.existsSync(bundled) ? bundled : undefined,
        pythonExtension: await pythonExtensionInterpreter(),
      });
    } catch (e) {
      this.setState("failed");
      void this.offerFix(String((e as Error).message), "Fix the setting, then run \"Neural: Restart Server\".", SETTINGS.serverPath);
      return undefined;
    }
    this.launch = cl;
    if (cl.python) {
      // One clear message for a missing or too old Python, before the client's own errors.
      const problem = describeInterpreterProblem(cl.python, cl.pythonSource ?? "default", await probePython(cl.python));
      if (problem) {
        this.setState("failed");
        this.log.error(`${problem.message} ${problem.fix}`);
        void this.offerFix(problem.message, problem.fix, problem.setting);
        return undefined;
      }
    }
    const tail = new StderrTail();
    let initialized = false;
    const log = this.log;
    const serverOptions: ServerOptions = {
      // No `transport` here: TransportKind.stdio would append `--stdio` to the arguments.
      command: cl.command,
      args: cl.args,
      options: {
        cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
        // NEURAL_RUNNER_PYTHON: the interpreter the server runs Train and Run HPO with.
        env: { ...process.env, PYTHONUNBUFFERED: "1", NEURAL_RUNNER_PYTHON: this.jobPython() },
      },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: LANGUAGE_ID },
        { scheme: "untitled", language: LANGUAGE_ID },
      ],
      synchronize: { configurationSection: LANGUAGE_ID },
      outputChannel: this.log,
      traceOutputChannel: this.trace,
      stdioOptions: {
        stdout: (input, channel) => input.on("data", (d: Buffer) => channel.info(String(d).trimEnd())),
        stderr: (input) => tail.attach(input, log),
      },
      initializationFailedHandler: () => false,
      middleware: {
        // The client registers the server's commands (used by code lenses and code actions);
        // route them through the same progress/result UI as the palette commands.
        executeCommand: (command, args, next) => this.serverCommandRunner?.(client, command, args) ?? next(command, args),
      },
      errorHandler: {
        // Write errors while a server dies during start (EPIPE) are explained by the start
        // failure message; later, as the default handler does, give up after 3 in a row.
        error: (_e, _m, count) => ({ action: count && count > 3 ? ErrorAction.Shutdown : ErrorAction.Continue, handled: !initialized }),
        closed: async () => {
          if (!initialized) return { action: CloseAction.DoNotRestart, handled: true };
          if (this.policy.shouldRestart(Date.now(), true)) {
            return { action: CloseAction.Restart, message: "The Neural language server stopped; restarting it." };
          }
          const f = describeStartFailure(cl, settings, undefined, await tail.text(500));
          void this.offerFix(`${f.message} It crashed 5 times in 3 minutes and was not restarted.`, f.fix, f.setting);
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
    };
    const client = new NeuralLanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (this.client !== client) return;
      if (e.newState === State.Running) this.setState("running");
      else if (e.newState === State.Starting) this.setState("starting");
      else if (this._state !== "failed") this.setState("stopped");
    });
    this.setState("starting");
    this.log.info(`Starting (${cl.kind} server): ${formatCommandLine(cl)}`);
    try {
      await client.start();
      initialized = true;
      this.server = { kind: cl.kind, version: client.initializeResult?.serverInfo?.version, python: cl.python };
      this.log.info(`Running: ${client.initializeResult?.serverInfo?.name ?? "server"} ${this.server.version ?? ""} (${cl.kind})`);
      // The client reported "running" during start(), before the server info was known: tell
      // the listeners again now that it is.
      this._state = "running";
      this.stateEmitter.fire("running");
      return client;
    } catch (e) {
      if (this.client !== client) return undefined;
      this.setState("failed");
      const err = typeof e === "string" ? { message: e } : (e as { code?: string; message?: string });
      const f = describeStartFailure(cl, settings, err, await tail.text(2000));
      this.log.error(`${f.message} ${f.fix}`);
      void this.offerFix(f.message, f.fix, f.setting);
      return undefined;
    }
  }

  private async offerFix(message: string, fix: string, setting: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(`${message} ${fix}`, "Open Settings", "Show Log", "Restart Server");
    if (choice === "Open Settings") await vscode.commands.executeCommand("workbench.action.openSettings", setting);
    else if (choice === "Show Log") this.log.show();
    else if (choice === "Restart Server") await this.restart();
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.server = undefined;
    if (c) {
      try {
        await c.dispose(2000);
      } catch (e) {
        this.log.warn(`Stopping the server: ${String(e)}`);
      }
    }
    this.setState("stopped");
  }

  async restart(): Promise<LanguageClient | undefined> {
    if (this.starting) await this.starting;
    await this.stop();
    this.policy.reset();
    return this.start();
  }

  /** The interpreter Train, Run HPO and the TUI run with (see interpreter.jobPython). */
  jobPython(): string {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return jobPython(this.launch?.python ?? pythonCommand(readSettings(), variables()), ws, fs.existsSync);
  }

  /** The client only when it is running; no auto-start (for background lookups). */
  get running(): LanguageClient | undefined {
    return this.client && this.client.state === State.Running ? this.client : undefined;
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.log.dispose();
    this.trace.dispose();
  }
}
