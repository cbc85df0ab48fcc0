// Settings -> command lines. Pure: no `vscode` import, so it is unit-tested with `node --test`.
import { DEFAULT_IMPORT_STRATEGY, type ImportStrategy, IMPORT_STRATEGIES, type InterpreterSource, type ServerKind } from "./interpreter";

/** The `neural.*` settings that decide how the server (and the TUI) are started. */
export interface ServerSettings {
  /** `neural.interpreter`: the Python that runs the server (and, with no .venv, the runner). */
  interpreter?: string | null;
  /** `neural.pythonPath`: the deprecated name of `neural.interpreter`, read when it is unset. */
  pythonPath?: string | null;
  /** `neural.importStrategy`: the server bundled in the extension, or the interpreter's own. */
  importStrategy?: string | null;
  /** `neural.server.path`: a full command line replacing `<python> -m neural_lsp`. */
  serverPath?: string | null;
  /** `neural.server.args`: extra arguments appended to the server command. */
  serverArgs?: readonly string[] | null;
}

export interface CommandLine {
  command: string;
  args: string[];
}

/** The server's command line, and where its code and its interpreter come from. */
export interface ServerLaunch extends CommandLine {
  kind: ServerKind;
  /** The interpreter (undefined for neural.server.path). */
  python?: string;
  pythonSource?: InterpreterSource;
}

/** What the extension knows beyond the settings. */
export interface LaunchContext {
  /** `<extension>/bundled/tool/server.py` when the .vsix carries the server. */
  bundledServer?: string;
  /** The Python extension's interpreter for the workspace, when that extension is installed. */
  pythonExtension?: string;
}

/** Values for `${workspaceFolder}`, `${userHome}` and `${env:NAME}` in path settings. */
export interface Variables {
  workspaceFolder?: string;
  userHome?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export const DEFAULT_PYTHON = "python3";
export const SERVER_MODULE = "neural_lsp";
export const TUI_ARGS: readonly string[] = ["-m", "runner", "tui"];

/** Error for a setting that cannot be turned into a command line; names the setting. */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = "SettingError";
  }
}

/**
 * Expands `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~`, the way
 * VS Code users write interpreter paths (`${workspaceFolder}/.venv/bin/python`).
 * An unknown `${...}` or one with no value is an error: running a half-expanded path would
 * fail later with a far less clear message.
 */
export function substituteVariables(value: string, vars: Variables, setting: string): string {
  let out = value.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    let v: string | undefined;
    if (name === "workspaceFolder") v = vars.workspaceFolder;
    else if (name === "userHome") v = vars.userHome;
    else if (name.startsWith("env:")) v = vars.env?.[name.slice(4)] ?? "";
    else throw new SettingError(setting, `unknown variable ${whole} in "${value}"`);
    if (v === undefined) {
      throw new SettingError(setting, `${whole} has no value here (no folder is open?) in "${value}"`);
    }
    return v;
  });
  if ((out === "~" || out.startsWith("~/")) && vars.userHome) out = vars.userHome + out.slice(1);
  return out;
}

/**
 * Splits a command line the way a POSIX shell splits words: whitespace separates, single
 * quotes are literal, double quotes and backslashes escape. No globbing or expansion.
 */
export function splitCommandLine(line: string, setting = "neural.server.path"): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new SettingError(setting, `unterminated ${quote} quote in "${line}"`);
  if (inWord) words.push(cur);
  return words;
}

function nonEmpty(s: string | null | undefined): s is string {
  return typeof s === "string" && s.trim() !== "";
}

/** The interpreter and where it came from: the setting, else the Python extension's, else python3. */
export function resolveInterpreter(s: ServerSettings, vars: Variables = {}, fromExtension?: string): { python: string; source: InterpreterSource } {
  if (nonEmpty(s.interpreter)) return { python: substituteVariables(s.interpreter.trim(), vars, "neural.interpreter"), source: "setting" };
  if (nonEmpty(s.pythonPath) && s.pythonPath.trim() !== DEFAULT_PYTHON) {
    return { python: substituteVariables(s.pythonPath.trim(), vars, "neural.pythonPath"), source: "setting" };
  }
  if (nonEmpty(fromExtension)) return { python: fromExtension, source: "python extension" };
  return { python: DEFAULT_PYTHON, source: "default" };
}

/** The Python interpreter to use, after variable substitution. */
export function pythonCommand(s: ServerSettings, vars: Variables = {}, fromExtension?: string): string {
  return resolveInterpreter(s, vars, fromExtension).python;
}

export function importStrategy(s: ServerSettings): ImportStrategy {
  const v = s.importStrategy;
  return IMPORT_STRATEGIES.includes(v as ImportStrategy) ? (v as ImportStrategy) : DEFAULT_IMPORT_STRATEGY;
}

/**
 * The server's command line. `neural.server.path`, when set, replaces everything;
 * `useBundled` runs `<python> -I <extension>/bundled/tool/server.py` (isolated: a PYTHONPATH
 * or user site cannot shadow the bundled code), `fromEnvironment` (or a build without the
 * bundle) `<python> -m neural_lsp`. `neural.server.args` is appended either way. Never adds
 * `--stdio`: stdio is the transport anyway, and an unexpected flag makes some servers exit.
 */
export function serverCommandLine(s: ServerSettings, vars: Variables = {}, ctx: LaunchContext = {}): ServerLaunch {
  const extra = (s.serverArgs ?? []).map((a) => substituteVariables(String(a), vars, "neural.server.args"));
  if (nonEmpty(s.serverPath)) {
    const words = splitCommandLine(s.serverPath).map((w) => substituteVariables(w, vars, "neural.server.path"));
    if (words.length === 0) throw new SettingError("neural.server.path", "is empty");
    return { command: words[0], args: [...words.slice(1), ...extra], kind: "custom" };
  }
  const { python, source } = resolveInterpreter(s, vars, ctx.pythonExtension);
  if (importStrategy(s) === "useBundled" && ctx.bundledServer) {
    return { command: python, args: ["-I", ctx.bundledServer, ...extra], kind: "bundled", python, pythonSource: source };
  }
  return { command: python, args: ["-m", SERVER_MODULE, ...extra], kind: "environment", python, pythonSource: source };
}

/** `neural tui`, run as `<python> -m runner tui` so it uses the same interpreter as the server. */
export function tuiCommandLine(s: ServerSettings, vars: Variables = {}, python?: string, baseDir?: string): CommandLine {
  return { command: python ?? pythonCommand(s, vars), args: [...TUI_ARGS, ...(baseDir ? ["--base-dir", baseDir] : [])] };
}

/**
 * The experiment store a "Neural: Open Experiments (TUI)" call names: the server's results code
 * lens passes `{baseDir, study, experiment}`; menus pass the file's Uri, the palette nothing.
 */
export function tuiBaseDir(arg: unknown): string | undefined {
  const dir = arg !== null && typeof arg === "object" ? (arg as { baseDir?: unknown }).baseDir : undefined;
  return typeof dir === "string" && dir.length > 0 ? dir : undefined;
}

/** Renders a command line for messages, quoting words a shell would split. */
export function formatCommandLine(cl: CommandLine): string {
  return [cl.command, ...cl.args].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(" ");
}

export interface StartFailure {
  /** One sentence: what failed. */
  message: string;
  /** One sentence: what to do about it. */
  fix: string;
  /** The setting the fix is about, for an "Open Settings" button. */
  setting: string;
}

/**
 * Explains why the server did not start, from the spawn error and the server's stderr, with
 * a fix. Kept pure so each case is tested; the extension shows it with buttons.
 */
export function describeStartFailure(
  cl: CommandLine,
  s: ServerSettings,
  error: { code?: string; message?: string } | undefined,
  stderr: string,
): StartFailure {
  const shown = formatCommandLine(cl);
  const custom = nonEmpty(s.serverPath);
  const setting = custom ? "neural.server.path" : "neural.interpreter";
  if (error?.code === "ENOENT" || /\bENOENT\b/.test(error?.message ?? "")) {
    return {
      message: `Could not start the Neural language server: "${cl.command}" was not found.`,
      fix: custom
        ? `Set neural.server.path to a command that exists (it runs "${shown}").`
        : `Install Python 3.11+ or set neural.interpreter to one, e.g. \${workspaceFolder}/.venv/bin/python.`,
      setting,
    };
  }
  if (error?.code === "EACCES") {
    return {
      message: `Could not start the Neural language server: "${cl.command}" is not executable.`,
      fix: `Point ${setting} at an executable.`,
      setting,
    };
  }
  if (/No module named [\w.]+\.__main__/.test(stderr)) {
    return {
      message: `"${cl.command}" has a ${SERVER_MODULE} package that cannot be run with -m (no __main__): it is not the Neural language server, or an old copy shadows it.`,
      fix: `Reinstall the toolchain in that Python ("${cl.command} -m pip install -e ." in the Neural repository) or set neural.server.path.`,
      setting,
    };
  }
  const noModule = /No module named '?([\w.]+)'?/.exec(stderr);
  if (noModule) {
    const mod = noModule[1];
    const isServer = mod === SERVER_MODULE || mod.startsWith(`${SERVER_MODULE}.`);
    return {
      message: isServer
        ? `"${cl.command}" has no module ${SERVER_MODULE}: the Neural toolchain is not installed in that Python.`
        : `The Neural language server needs the Python module "${mod}", which "${cl.command}" does not have.`,
      fix: `Run "${cl.command} -m pip install -e ." in the Neural repository, set neural.interpreter to the interpreter that has it, or set neural.importStrategy to useBundled.`,
      setting: isServer ? "neural.importStrategy" : "neural.interpreter",
    };
  }
  if (/unrecognized arguments|usage:/.test(stderr)) {
    return {
      message: `The Neural language server rejected its arguments ("${shown}").`,
      fix: "Check neural.server.args and neural.server.path.",
      setting: custom ? "neural.server.path" : "neural.server.args",
    };
  }
  const last = stderr.trim().split(/\r?\n/).slice(-1)[0] ?? "";
  return {
    message: `The Neural language server ("${shown}") stopped${last ? `: ${last}` : error?.message ? `: ${error.message}` : "."}`,
    fix: `See the "Neural Language Server" output for details, then run "Neural: Restart Server".`,
    setting,
  };
}

/**
 * Decides whether to restart a crashed server: at most `max` restarts within `windowMs`,
 * and never when it died before it ever finished initializing (a broken install would only
 * crash again).
 */
export class RestartPolicy {
  private crashes: number[] = [];
  constructor(
    readonly max = 4,
    readonly windowMs = 3 * 60_000,
  ) {}
  shouldRestart(now: number, everInitialized: boolean): boolean {
    if (!everInitialized) return false;
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length <= this.max;
  }
  reset(): void {
    this.crashes = [];
  }
}
