// Which Python runs what: the interpreter (setting, the Python extension, python3), the bundled
// or installed server, the version check, and the heavy extras Train / Run HPO / the TUI need
// (with the plan that installs them into the workspace's .venv). Pure: no `vscode` import.
import * as path from "path";

/** `neural.importStrategy`. */
export type ImportStrategy = "useBundled" | "fromEnvironment";
export const IMPORT_STRATEGIES: readonly ImportStrategy[] = ["useBundled", "fromEnvironment"];
export const DEFAULT_IMPORT_STRATEGY: ImportStrategy = "useBundled";

/** Where the running server's code comes from; shown in the status bar. */
export type ServerKind = "bundled" | "environment" | "custom";

/** Where the interpreter came from, for messages. */
export type InterpreterSource = "setting" | "python extension" | "default";

/** The bundled server inside the extension: `<extension>/bundled/tool/server.py`. */
export const BUNDLED_SERVER = ["bundled", "tool", "server.py"];
/** A built neural-dsl wheel inside the extension, installed into .venv for the extras. */
export const BUNDLED_WHEELS = ["bundled", "wheels"];

export const MIN_PYTHON: readonly [number, number] = [3, 11];

/** Prints `major.minor.micro`; valid Python 2 and 3, so an old interpreter still answers. */
export const VERSION_PROBE = "import sys; sys.stdout.write('%d.%d.%d' % tuple(sys.version_info[:3]))";

export type PythonVersion = readonly [number, number, number];

export function parsePythonVersion(out: string): PythonVersion | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\s*$/.exec(out.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function isSupported(v: PythonVersion): boolean {
  return v[0] > MIN_PYTHON[0] || (v[0] === MIN_PYTHON[0] && v[1] >= MIN_PYTHON[1]);
}

export function formatVersion(v: PythonVersion): string {
  return v.join(".");
}

/** What the version probe found, as one notification: undefined when the Python is usable. */
export function describeInterpreterProblem(
  python: string,
  source: InterpreterSource,
  probe: { notFound?: boolean; version?: PythonVersion },
): { message: string; fix: string; setting: string } | undefined {
  const from = source === "setting" ? " (neural.interpreter)" : source === "python extension" ? " (the Python extension's interpreter)" : "";
  const fix = `Install Python ${MIN_PYTHON.join(".")} or newer, or set neural.interpreter to one, e.g. /usr/bin/python3.12.`;
  if (probe.notFound) {
    return { message: `Neural needs Python ${MIN_PYTHON.join(".")}+ to run its language server, and "${python}"${from} was not found.`, fix, setting: "neural.interpreter" };
  }
  if (probe.version && !isSupported(probe.version)) {
    return {
      message: `Neural needs Python ${MIN_PYTHON.join(".")}+ to run its language server; "${python}"${from} is Python ${formatVersion(probe.version)}.`,
      fix,
      setting: "neural.interpreter",
    };
  }
  return undefined;
}

/** The status-bar text and tooltip for the running server. */
export function serverLabel(kind: ServerKind, version: string | undefined, python: string | undefined): { text: string; tooltip: string } {
  const v = version ? ` ${version}` : "";
  const where = { bundled: "bundled with the extension", environment: "installed in the interpreter", custom: "from neural.server.path" }[kind];
  return {
    text: `Neural${v} (${kind})`,
    tooltip: `Neural language server${v}, ${where}${python && kind !== "custom" ? `, running on ${python}` : ""}. Click to restart.`,
  };
}

/**
 * The interpreter from the Python extension's API (ms-python.python `exports.environments`):
 * the active environment for the workspace, resolved to its executable. Undefined when the API
 * is missing or answers nothing usable; never throws (the extension then uses python3).
 */
export async function pythonFromExtensionApi(api: unknown, resource: unknown): Promise<string | undefined> {
  try {
    const envs = (api as { environments?: Record<string, unknown> } | undefined)?.environments;
    if (!envs || typeof envs.getActiveEnvironmentPath !== "function") return undefined;
    const active = (envs.getActiveEnvironmentPath as (r: unknown) => { path?: string } | undefined)(resource);
    if (!active?.path) return undefined;
    if (typeof envs.resolveEnvironment === "function") {
      const resolved = await (envs.resolveEnvironment as (p: unknown) => Promise<{ executable?: { uri?: { fsPath?: string } } } | undefined>)(active);
      const exe = resolved?.executable?.uri?.fsPath;
      if (exe) return exe;
    }
    return active.path;
  } catch {
    return undefined;
  }
}

// ---- the heavy extras -------------------------------------------------------------------

/** Commands that run the runner, and the modules each needs in the interpreter that runs it. */
export type JobKind = "train" | "runHpo" | "tui";
export const JOB_TITLES: Record<JobKind, string> = { train: "Train", runHpo: "Run HPO", tui: "the experiments TUI" };
export const JOB_MODULES: Record<JobKind, readonly string[]> = {
  train: ["runner", "torch", "matplotlib"],
  runHpo: ["runner", "torch", "optuna", "matplotlib"],
  tui: ["runner", "textual"],
};
/** The extras installed into .venv: everything the three commands need. */
export const INSTALL_EXTRAS = "torch,hpo,tracking,tui";

/** Prints the names of the modules (argv) this interpreter cannot import, space-separated. */
export const MODULES_PROBE = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))";

export function parseMissingModules(out: string): string[] {
  return out.trim().split(/\s+/).filter(Boolean);
}

export function venvPython(workspaceFolder: string, platform: string = process.platform): string {
  return platform === "win32" ? path.join(workspaceFolder, ".venv", "Scripts", "python.exe") : path.join(workspaceFolder, ".venv", "bin", "python");
}

/**
 * The interpreter the runner (Train, Run HPO, the TUI) uses: the workspace's .venv when it
 * exists (where "Create .venv" installs the extras), else the interpreter the server runs on.
 * The server gets it as NEURAL_RUNNER_PYTHON.
 */
export function jobPython(interpreter: string, workspaceFolder: string | undefined, exists: (p: string) => boolean): string {
  if (workspaceFolder) {
    const v = venvPython(workspaceFolder);
    if (exists(v)) return v;
  }
  return interpreter;
}

export function describeMissingExtras(kind: JobKind, python: string, missing: readonly string[]): string {
  return `Neural: ${JOB_TITLES[kind]} needs ${missing.join(", ")}, which "${python}" does not have. Create .venv in this workspace and install neural-dsl[${INSTALL_EXTRAS}] there?`;
}

/**
 * What to install into .venv: the workspace itself when it is this project's checkout (its
 * pyproject.toml names neural-dsl), else the neural-dsl wheel shipped inside the extension.
 */
export function installSource(workspaceFolder: string, pyprojectText: string | undefined, wheel: string | undefined): string | undefined {
  if (pyprojectText && /^\s*name\s*=\s*["']neural-dsl["']/m.test(pyprojectText)) return workspaceFolder;
  return wheel;
}

export interface InstallStep {
  title: string;
  command: string;
  args: string[];
}

/** `python -m venv .venv` (unless it exists), then pip-install the source with the extras. */
export function installSteps(basePython: string, workspaceFolder: string, source: string, venvExists: boolean): InstallStep[] {
  const py = venvPython(workspaceFolder);
  const steps: InstallStep[] = [];
  if (!venvExists) steps.push({ title: "creating .venv", command: basePython, args: ["-m", "venv", path.join(workspaceFolder, ".venv")] });
  steps.push({
    title: `installing neural-dsl[${INSTALL_EXTRAS}] (downloads PyTorch: minutes)`,
    command: py,
    args: ["-m", "pip", "install", "--disable-pip-version-check", `${source}[${INSTALL_EXTRAS}]`],
  });
  return steps;
}
