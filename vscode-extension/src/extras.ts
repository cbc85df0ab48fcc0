// Train, Run HPO and the TUI need the heavy extras (PyTorch, Optuna, Textual) in the
// interpreter that runs them. This checks for them first and, when they are missing, offers to
// create the workspace's .venv and install neural-dsl with the extras there, with progress in a
// notification, then retries. The decisions are in interpreter.ts (pure, unit-tested).
import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import type { NeuralClient } from "./client";
import {
  BUNDLED_WHEELS,
  describeMissingExtras,
  type InstallStep,
  installSource,
  installSteps,
  JOB_MODULES,
  JOB_TITLES,
  type JobKind,
  MODULES_PROBE,
  parseMissingModules,
  venvPython,
} from "./interpreter";

const CREATE = "Create .venv and install";

/** The modules of `modules` that `python` cannot import; undefined if it did not run. */
export function missingModules(python: string, modules: readonly string[]): Promise<string[] | undefined> {
  return new Promise((resolve) => {
    execFile(python, ["-c", MODULES_PROBE, ...modules], { timeout: 60000 }, (err, stdout) => resolve(err ? undefined : parseMissingModules(String(stdout))));
  });
}

function runStep(step: InstallStep, log: vscode.LogOutputChannel, report: (line: string) => void, token: vscode.CancellationToken): Promise<void> {
  return new Promise((resolve, reject) => {
    log.info(`${step.title}: ${step.command} ${step.args.join(" ")}`);
    const proc = spawn(step.command, step.args, { stdio: ["ignore", "pipe", "pipe"] });
    const cancel = token.onCancellationRequested(() => proc.kill("SIGTERM"));
    let tail = "";
    const onData = (d: Buffer) => {
      const text = String(d);
      tail = (tail + text).slice(-2000);
      for (const line of text.split(/\r?\n/).filter((l) => l.trim())) {
        log.info(line);
        report(line.trim().slice(0, 120));
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.on("error", (e) => {
      cancel.dispose();
      reject(e);
    });
    proc.on("close", (code) => {
      cancel.dispose();
      if (code === 0) resolve();
      else reject(new Error(token.isCancellationRequested ? "cancelled" : `${step.title} failed (exit ${code}): ${tail.trim().split("\n").slice(-1)[0] ?? ""}`));
    });
  });
}

function bundledWheel(extensionPath: string): string | undefined {
  const dir = path.join(extensionPath, ...BUNDLED_WHEELS);
  const whl = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^neural_dsl-.*\.whl$/.test(f)) : [];
  return whl.length ? path.join(dir, whl.sort().at(-1)!) : undefined;
}

/** Creates .venv (if needed) and installs the extras into it; true when that worked. */
async function installExtras(nc: NeuralClient, basePython: string): Promise<boolean> {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!ws) {
    void vscode.window.showErrorMessage("Neural: open a folder first: the extras are installed into its .venv.");
    return false;
  }
  const pyproject = path.join(ws, "pyproject.toml");
  const source = installSource(ws, fs.existsSync(pyproject) ? fs.readFileSync(pyproject, "utf8") : undefined, bundledWheel(nc.extensionPath));
  if (!source) {
    void vscode.window.showErrorMessage("Neural: this build of the extension carries no neural-dsl wheel; install neural-dsl[torch,hpo,tracking,tui] into a Python and set neural.interpreter to it.");
    return false;
  }
  const steps = installSteps(basePython, ws, source, fs.existsSync(venvPython(ws)));
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Neural: setting up .venv", cancellable: true },
      async (progress, token) => {
        for (const step of steps) {
          progress.report({ message: step.title });
          await runStep(step, nc.log, (line) => progress.report({ message: `${step.title}: ${line}` }), token);
        }
      },
    );
  } catch (e) {
    const choice = await vscode.window.showErrorMessage(`Neural: could not set up .venv: ${(e as Error).message}`, "Show Log");
    if (choice) nc.log.show();
    return false;
  }
  return true;
}

/**
 * True when the interpreter for `kind` has what it needs, possibly after installing it (the
 * server is then restarted so it runs the job in .venv). False after telling the user why not.
 */
export async function ensureExtras(nc: NeuralClient, kind: JobKind): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const python = nc.jobPython();
    const missing = await missingModules(python, JOB_MODULES[kind]);
    if (missing === undefined) {
      void vscode.window.showErrorMessage(`Neural: could not run "${python}" to check what ${JOB_TITLES[kind]} needs; set neural.interpreter.`);
      return false;
    }
    if (missing.length === 0) {
      if (attempt > 0) await nc.restart();
      return true;
    }
    if (attempt > 0) {
      void vscode.window.showErrorMessage(`Neural: .venv still lacks ${missing.join(", ")}; see the "Neural Language Server" output.`);
      return false;
    }
    const choice = await vscode.window.showWarningMessage(describeMissingExtras(kind, python, missing), CREATE, "Open Settings");
    if (choice === "Open Settings") await vscode.commands.executeCommand("workbench.action.openSettings", "neural.interpreter");
    if (choice !== CREATE) return false;
    if (!(await installExtras(nc, python))) return false;
  }
  return false;
}
