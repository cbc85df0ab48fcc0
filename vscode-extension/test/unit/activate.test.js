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

async function activateWith(settings, { until, then } = {}) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "neural-ws-"));
  const { vscode, rec } = createFakeVscode({ settings, workspaceFolder: ws });
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
  const rec = await activateWith({ "neural.pythonPath": "/nonexistent/python3" }, { until: (r) => r.errors.length > 0 });
  const contributed = pkg.contributes.commands.map((c) => c.command).sort();
  const registered = rec.registered.filter((id) => id.startsWith("neural.")).sort();
  assert.deepEqual(registered, contributed);
});

test("a missing interpreter: one clear message naming it, with the setting to fix", { skip }, async () => {
  const rec = await activateWith({ "neural.pythonPath": "/nonexistent/python3" }, { until: (r) => r.errors.some((e) => /Neural/.test(e.msg) && e.items.length) });
  const mine = rec.errors.find((e) => e.items.includes("Open Settings"));
  assert.ok(mine, `no actionable error among ${JSON.stringify(rec.errors)}`);
  assert.match(mine.msg, /"\/nonexistent\/python3" was not found/);
  assert.match(mine.msg, /neural\.pythonPath/);
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
  const rec = await activateWith({ "neural.pythonPath": py }, { until: (r) => r.errors.some((e) => e.items.includes("Open Settings")) });
  const mine = rec.errors.find((e) => e.items.includes("Open Settings"));
  assert.ok(mine, `no actionable error among ${JSON.stringify(rec.errors)}`);
  assert.match(mine.msg, /has no module neural_lsp/);
  assert.match(mine.msg, /-m pip install -e \./);
  assert.equal(rec.errors.length, 1, JSON.stringify(rec.errors));
  assert.ok(rec.logs.some((l) => /No module named neural_lsp/.test(l)), "server stderr reaches the output channel");
});

test("the server is started with <python> -m neural_lsp plus server.args, never --stdio", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-"));
  const argsFile = path.join(dir, "argv");
  const py = path.join(dir, "python");
  fs.writeFileSync(py, `#!/bin/sh\nprintf '%s\\n' "$@" > "${argsFile}"\nexit 3\n`, { mode: 0o755 });
  await activateWith({ "neural.pythonPath": py, "neural.server.args": ["--log", "x y"] }, { until: () => fs.existsSync(argsFile) });
  assert.deepEqual(fs.readFileSync(argsFile, "utf8").trim().split("\n"), ["-m", "neural_lsp", "--log", "x y"]);
});

test("changing neural.pythonPath restarts the server with the new interpreter", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neural-py-"));
  const log = path.join(dir, "started");
  const mk = (name) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, `#!/bin/sh\necho ${name} >> "${log}"\nexit 1\n`, { mode: 0o755 });
    return p;
  };
  const settings = { "neural.pythonPath": mk("py-a") };
  const second = mk("py-b");
  const started = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);
  await activateWith(settings, {
    until: (r) => r.errors.length > 0,
    then: async (rec) => {
      settings["neural.pythonPath"] = second;
      rec.configChange.fire({ affectsConfiguration: (s) => s === "neural.pythonPath" });
      await waitUntil(() => started().length >= 2);
      rec.configChange.fire({ affectsConfiguration: (s) => s === "neural.inlayHints.shapes" });
      await new Promise((r) => setTimeout(r, 300));
    },
  });
  assert.deepEqual(started(), ["py-a", "py-b"], "restarted once, for pythonPath only (the server itself reads the other settings)");
});
