// Loads the bundled extension (dist/extension.js, what the .vsix ships) against a stand-in
// `vscode` module and runs activate(): every contributed command gets registered, and a server
// that cannot start is explained with a fix.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { createFakeVscode, loadWithFake } = require("./fake-vscode");

const root = path.join(__dirname, "../..");
const BUNDLE = path.join(root, "dist/extension.js");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const skip = !fs.existsSync(BUNDLE) && "no dist/extension.js: run npm run bundle";

const waitUntil = async (pred, timeoutMs = 10000) => {
  const t0 = Date.now();
  while (!pred() && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 20));
};

async function activateWith(settings, { until, then, pythonApi, warningChoice, ws = fs.mkdtempSync(path.join(os.tmpdir(), "neural-ws-")) } = {}) {
  const { vscode, rec } = createFakeVscode({ settings, workspaceFolder: ws, pythonApi, warningChoice });
  const ext = loadWithFake(BUNDLE, vscode);
  const context = { subscriptions: [], extensionPath: root, extensionUri: { fsPath: root } };
  ext.activate(context);
  if (until) await waitUntil(() => until(rec));
  if (then) await then(rec);
  await ext.deactivate();
  for (const d of context.subscriptions) d.dispose?.();
  return rec;
}

test("activate() registers exactly the commands package.json contributes", { skip }, async () => {
  const rec = await activateWith({ "neural.interpreter": "/nonexistent/python3" }, { until: (r) => r.errors.length > 0 });
  const contributed = pkg.contributes.commands.map((c) => c.command).sort();
  const registered = rec.registered.filter((id) => id.startsWith("neural.")).sort();
  assert.deepEqual(registered, contributed);
});

test("a missing interpreter: one clear message naming it, with the setting to fix", { skip }, async () => {
  const rec = await activateWith({ "neural.interpreter": "/nonexistent/python3" }, { until: (r) => r.errors.some((e) => /Neural/.test(e.msg) && e.items.length) });
  const mine = rec.errors.find((e) => e.items.includes("Open Settings"));
  assert.ok(mine, `no actionable error among ${JSON.stringify(rec.errors)}`);
  assert.match(mine.msg, /"\/nonexistent\/python3" \(neural\.interpreter\) was not found/);
  assert.match(mine.msg, /set neural\.interpreter/);
  assert.deepEqual(mine.items, ["Open Settings", "Show Log", "Restart Server"]);
  assert.equal(rec.errors.length, 1, `one notification, not the client's generic one too: ${JSON.stringify(rec.errors)}`);
  const status = rec.statusItems.find((s) => s.id === "neural.status");
  assert.match(status.text, /server failed/);
  assert.equal(status.command.command, "neural.restartServer");
});

test("a Python without the toolchain: says neural_lsp is not installed there", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-"));
  const py = path.join(dir, "python");
  fs.writeFileSync(py, `#!/bin/sh\necho "$0: No module named neural_lsp" >&2\nexit 1\n`, { mode: 0o755 });
  const rec = await activateWith({ "neural.interpreter": py, "neural.importStrategy": "fromEnvironment" }, { until: (r) => r.errors.some((e) => e.items.includes("Open Settings")) });
  const mine = rec.errors.find((e) => e.items.includes("Open Settings"));
  assert.ok(mine, `no actionable error among ${JSON.stringify(rec.errors)}`);
  assert.match(mine.msg, /has no module neural_lsp/);
  assert.match(mine.msg, /-m pip install -e \./);
  assert.equal(rec.errors.length, 1, JSON.stringify(rec.errors));
  assert.ok(rec.logs.some((l) => /No module named neural_lsp/.test(l)), "server stderr reaches the output channel");
});

/** A fake interpreter that answers the version probe with `version` and logs each server start. */
function fakePython(dir, name, { version = "3.11.2", argsFile } = {}) {
  const p = path.join(dir, name);
  const log = argsFile ?? path.join(dir, `${name}.argv`);
  fs.writeFileSync(p, `#!/bin/sh\nif [ "$1" = "-c" ]; then printf '${version}'; exit 0; fi\nprintf '%s\\n' "$@" > "${log}"\nexit 3\n`, { mode: 0o755 });
  return { python: p, argv: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : undefined) };
}

test("fromEnvironment: the server is <python> -m neural_lsp plus server.args, never --stdio", { skip }, async () => {
  const f = fakePython(fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-")), "python");
  await activateWith({ "neural.interpreter": f.python, "neural.importStrategy": "fromEnvironment", "neural.server.args": ["--log", "x y"] }, { until: () => f.argv() });
  assert.deepEqual(f.argv(), ["-m", "neural_lsp", "--log", "x y"]);
});

test("by default the bundled server runs: <python> -I <extension>/bundled/tool/server.py", { skip }, async () => {
  const f = fakePython(fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-")), "python");
  await activateWith({ "neural.interpreter": f.python }, { until: () => f.argv() });
  assert.deepEqual(f.argv(), ["-I", path.join(root, "bundled/tool/server.py")]);
});

test("with neural.interpreter empty, the Python extension's interpreter runs the server", { skip }, async () => {
  const f = fakePython(fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-")), "python");
  const pythonApi = {
    environments: {
      getActiveEnvironmentPath: () => ({ path: path.dirname(f.python) }),
      resolveEnvironment: async () => ({ executable: { uri: { fsPath: f.python } } }),
    },
  };
  await activateWith({}, { until: () => f.argv(), pythonApi });
  assert.equal(f.argv()[0], "-I");
});

test("selecting another interpreter in the Python extension restarts the server on it", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-"));
  const a = fakePython(dir, "py-a");
  const b = fakePython(dir, "py-b");
  let selected = a.python;
  const listeners = [];
  const pythonApi = {
    environments: {
      getActiveEnvironmentPath: () => ({ path: selected }),
      resolveEnvironment: async (e) => ({ executable: { uri: { fsPath: e.path } } }),
      onDidChangeActiveEnvironmentPath: (l) => (listeners.push(l), { dispose() {} }),
    },
  };
  await activateWith({}, {
    pythonApi,
    until: () => a.argv(),
    then: async () => {
      selected = b.python;
      for (const l of listeners) l({ path: selected });
      await waitUntil(() => b.argv());
    },
  });
  assert.ok(a.argv() && b.argv(), "started on py-a, then restarted on py-b");
});

test("a Python older than 3.11: one notification saying so, with the setting, and no server start", { skip }, async () => {
  const f = fakePython(fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-")), "python", { version: "3.9.2" });
  const rec = await activateWith({ "neural.interpreter": f.python }, { until: (r) => r.errors.length > 0 });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(rec.errors.length, 1, JSON.stringify(rec.errors));
  assert.match(rec.errors[0].msg, /Neural needs Python 3\.11\+ .* is Python 3\.9\.2/);
  assert.ok(rec.errors[0].items.includes("Open Settings"));
  assert.equal(f.argv(), undefined, "the server was not started");
  assert.match(rec.statusItems.find((s) => s.id === "neural.status").text, /server failed/);
});

test("changing neural.interpreter restarts the server with the new interpreter", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-"));
  const log = path.join(dir, "started");
  const mk = (name) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, `#!/bin/sh\nif [ "$1" = "-c" ]; then printf 3.11.2; exit 0; fi\necho ${name} >> "${log}"\nexit 1\n`, { mode: 0o755 });
    return p;
  };
  const settings = { "neural.interpreter": mk("py-a") };
  const second = mk("py-b");
  const started = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);
  await activateWith(settings, {
    until: (r) => r.errors.length > 0,
    then: async (rec) => {
      settings["neural.interpreter"] = second;
      rec.configChange.fire({ affectsConfiguration: (s) => s === "neural.interpreter" });
      await waitUntil(() => started().length >= 2);
      rec.configChange.fire({ affectsConfiguration: (s) => s === "neural.inlayHints.shapes" });
      await new Promise((r) => setTimeout(r, 300));
    },
  });
  assert.deepEqual(started(), ["py-a", "py-b"], "restarted once, for interpreter only (the server itself reads the other settings)");
});

/**
 * A base Python that lacks every extra (the modules probe names them all) and whose `-m venv`
 * makes a .venv whose python has them all and records its `pip install` arguments.
 */
function pythonsForExtras(dir) {
  const venvPy = path.join(dir, "venv-python");
  fs.writeFileSync(venvPy, `#!/bin/sh
if [ "$1" = "-c" ]; then case "$2" in *version_info*) printf 3.11.2;; esac; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then shift 2; printf '%s\\n' "$@" > "$(dirname "$0")/../pip-args"; echo "Successfully installed neural-dsl"; exit 0; fi
exit 3
`, { mode: 0o755 });
  const base = path.join(dir, "python");
  fs.writeFileSync(base, `#!/bin/sh
if [ "$1" = "-c" ]; then case "$2" in *version_info*) printf 3.11.2; exit 0;; esac; shift 2; echo "$@"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && cp "${venvPy}" "$3/bin/python"; exit 0; fi
exit 3
`, { mode: 0o755 });
  return base;
}

test("the TUI on a Python without the extras: says what is missing, creates .venv, installs the bundled wheel with the extras, then opens in .venv", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-"));
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "neural-ws-"));
  const base = pythonsForExtras(dir);
  const rec = await activateWith({ "neural.interpreter": base }, {
    ws,
    warningChoice: "Create .venv and install",
    until: (r) => r.errors.length > 0,
    then: async (r) => {
      await r.handlers["neural.openTui"]();
    },
  });
  assert.equal(rec.warnings.length, 1, JSON.stringify(rec.warnings));
  assert.match(rec.warnings[0].msg, /the experiments TUI needs runner, textual, which ".*python" does not have\. Create \.venv/);
  assert.deepEqual(rec.warnings[0].items, ["Create .venv and install", "Open Settings"]);
  assert.deepEqual(rec.progress.map((p) => p.title), ["Neural: setting up .venv"]);
  assert.ok(rec.progress[0].reports.some((r) => /Successfully installed/.test(r.message ?? "")), JSON.stringify(rec.progress[0].reports));
  const pipArgs = fs.readFileSync(path.join(ws, ".venv/pip-args"), "utf8").trim().split("\n");
  assert.equal(pipArgs[0], "install");
  assert.match(pipArgs.at(-1), /bundled\/wheels\/neural_dsl-[\d.]+-py3-none-any\.whl\[torch,hpo,tracking,tui\]$/);
  assert.equal(rec.terminals.length, 1);
  assert.equal(rec.terminals[0].shellPath, path.join(ws, ".venv/bin/python"));
  assert.deepEqual(rec.terminals[0].shellArgs, ["-m", "runner", "tui"]);
});

test("declining the install changes nothing: no .venv, no terminal", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-"));
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "neural-ws-"));
  const rec = await activateWith({ "neural.interpreter": pythonsForExtras(dir) }, {
    ws,
    until: (r) => r.errors.length > 0,
    then: async (r) => {
      await r.handlers["neural.openTui"]();
    },
  });
  assert.equal(rec.warnings.length, 1);
  assert.equal(fs.existsSync(path.join(ws, ".venv")), false);
  assert.equal(rec.terminals.length, 0);
  assert.equal(rec.progress.length, 0);
});

