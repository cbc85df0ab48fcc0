// Settings -> server / TUI command lines, and the start-failure explanations.
const test = require("node:test");
const assert = require("node:assert/strict");
const s = require("../../out/settings.js");

const vars = { workspaceFolder: "/ws", userHome: "/home/u", env: { VENV: "/venvs/n" } };

const env = { importStrategy: "fromEnvironment" };
const BUNDLED = "/ext/bundled/tool/server.py";

test("default: the bundled server on python3, isolated (-I), with no --stdio", () => {
  assert.deepEqual(s.serverCommandLine({}, {}, { bundledServer: BUNDLED }), {
    command: "python3", args: ["-I", BUNDLED], kind: "bundled", python: "python3", pythonSource: "default",
  });
  assert.equal(s.serverCommandLine({ importStrategy: "nonsense" }, {}, { bundledServer: BUNDLED }).kind, "bundled");
});

test("fromEnvironment (or a build without the bundle) runs <python> -m neural_lsp", () => {
  assert.deepEqual(s.serverCommandLine(env, {}, { bundledServer: BUNDLED }), {
    command: "python3", args: ["-m", "neural_lsp"], kind: "environment", python: "python3", pythonSource: "default",
  });
  assert.equal(s.serverCommandLine({ interpreter: "", serverPath: "  ", serverArgs: [] }).kind, "environment");
});

test("the interpreter: neural.interpreter, else the deprecated pythonPath, else the Python extension's, else python3", () => {
  const ext = { pythonExtension: "/envs/sel/bin/python" };
  assert.deepEqual(s.resolveInterpreter({ interpreter: "/a/python" }, vars, ext.pythonExtension), { python: "/a/python", source: "setting" });
  assert.deepEqual(s.resolveInterpreter({ pythonPath: "/b/python" }, vars, ext.pythonExtension), { python: "/b/python", source: "setting" });
  // pythonPath's old default ("python3") is not a choice: the Python extension's interpreter wins over it.
  assert.deepEqual(s.resolveInterpreter({ pythonPath: "python3" }, vars, ext.pythonExtension), { python: "/envs/sel/bin/python", source: "python extension" });
  assert.deepEqual(s.resolveInterpreter({ interpreter: "/a/python", pythonPath: "/b/python" }, vars), { python: "/a/python", source: "setting" });
  assert.deepEqual(s.resolveInterpreter({}, vars), { python: "python3", source: "default" });
  assert.equal(s.serverCommandLine({}, vars, { ...ext, bundledServer: BUNDLED }).command, "/envs/sel/bin/python");
});

test("interpreter expands ${workspaceFolder}, ~ and ${env:}", () => {
  assert.deepEqual(s.serverCommandLine({ ...env, interpreter: "${workspaceFolder}/.venv/bin/python" }, vars).command, "/ws/.venv/bin/python");
  assert.equal(s.pythonCommand({ interpreter: "~/py/bin/python" }, vars), "/home/u/py/bin/python");
  assert.equal(s.pythonCommand({ interpreter: "${env:VENV}/bin/python" }, vars), "/venvs/n/bin/python");
  assert.equal(s.pythonCommand({ interpreter: " /usr/bin/python3.11 " }, vars), "/usr/bin/python3.11");
  assert.equal(s.pythonCommand({ pythonPath: "${env:VENV}/bin/python" }, vars), "/venvs/n/bin/python");
});

test("server.args are appended after the module or the bundled script", () => {
  assert.deepEqual(s.serverCommandLine({ ...env, interpreter: "py", serverArgs: ["--log-file", "${workspaceFolder}/ls.log", "-v"] }, vars).args,
    ["-m", "neural_lsp", "--log-file", "/ws/ls.log", "-v"]);
  assert.deepEqual(s.serverCommandLine({ interpreter: "py", serverArgs: ["-v"] }, vars, { bundledServer: BUNDLED }).args, ["-I", BUNDLED, "-v"]);
});

test("server.path replaces everything; args still appended", () => {
  assert.deepEqual(s.serverCommandLine({ interpreter: "ignored", serverPath: "/opt/n/bin/neural-lsp", serverArgs: ["-v"] }, vars, { bundledServer: BUNDLED }), {
    command: "/opt/n/bin/neural-lsp",
    args: ["-v"],
    kind: "custom",
  });
  assert.deepEqual(s.serverCommandLine({ serverPath: '"/my tools/py" -X utf8 -m neural_lsp' }, vars), {
    command: "/my tools/py",
    args: ["-X", "utf8", "-m", "neural_lsp"],
    kind: "custom",
  });
  assert.deepEqual(s.serverCommandLine({ serverPath: "${workspaceFolder}/.venv/bin/neural-lsp" }, vars).command, "/ws/.venv/bin/neural-lsp");
});

test("splitCommandLine follows shell quoting", () => {
  assert.deepEqual(s.splitCommandLine(`a 'b c' "d \\"e\\"" f\\ g ''`), ["a", "b c", 'd "e"', "f g", ""]);
  assert.deepEqual(s.splitCommandLine("  x\t y  "), ["x", "y"]);
  assert.deepEqual(s.splitCommandLine(`'it''s'`), ["its"]);
  assert.throws(() => s.splitCommandLine(`python "-m`), /neural\.server\.path: unterminated " quote/);
});

test("bad variables name the setting", () => {
  assert.throws(() => s.serverCommandLine({ interpreter: "${workspaceFolder}/py" }, {}), (e) => e instanceof s.SettingError && e.setting === "neural.interpreter" && /no value/.test(e.message));
  assert.throws(() => s.serverCommandLine({ serverPath: "${config:x}/ls" }, vars), /neural\.server\.path: unknown variable \$\{config:x\}/);
  assert.equal(s.pythonCommand({ interpreter: "${env:NOPE}python" }, vars), "python");
});

test("TUI runs <python> -m runner tui with the same interpreter as the server", () => {
  assert.deepEqual(s.tuiCommandLine({}), { command: "python3", args: ["-m", "runner", "tui"] });
  assert.deepEqual(s.tuiCommandLine({ interpreter: "${workspaceFolder}/.venv/bin/python", serverPath: "/x/neural-lsp" }, vars), {
    command: "/ws/.venv/bin/python",
    args: ["-m", "runner", "tui"],
  });
  assert.equal(s.tuiCommandLine({ interpreter: "/a/py" }, vars, "/ws/.venv/bin/python").command, "/ws/.venv/bin/python");
});

test("the results lens opens the TUI on its store; menus (a Uri) and the palette on the default one", () => {
  const lens = { baseDir: "/ws/neural_experiments", study: "tiny-Tiny-3f9c0a1b2d", experiment: null };
  assert.equal(s.tuiBaseDir(lens), "/ws/neural_experiments");
  assert.deepEqual(s.tuiCommandLine({}, vars, "/py", s.tuiBaseDir(lens)).args, ["-m", "runner", "tui", "--base-dir", "/ws/neural_experiments"]);
  for (const other of [undefined, null, "file:///ws/a.neural", { scheme: "file", path: "/ws/a.neural" }, { baseDir: "" }, { baseDir: 3 }]) {
    assert.equal(s.tuiBaseDir(other), undefined, JSON.stringify(other));
  }
  assert.deepEqual(s.tuiCommandLine({}, vars, "/py", undefined).args, ["-m", "runner", "tui"]);
});

test("formatCommandLine quotes what a shell would split", () => {
  assert.equal(s.formatCommandLine({ command: "/a b/py", args: ["-m", "neural_lsp", "it's"] }), `'/a b/py' -m neural_lsp 'it'\\''s'`);
});

test("describeStartFailure: interpreter not found", () => {
  const cl = { command: "python9", args: ["-m", "neural_lsp"] };
  const f = s.describeStartFailure(cl, {}, { message: "Launching server using command python9 failed. Error: spawn python9 ENOENT" }, "");
  assert.match(f.message, /"python9" was not found/);
  assert.match(f.fix, /neural\.interpreter/);
  assert.equal(f.setting, "neural.interpreter");
  const g = s.describeStartFailure({ command: "/x/ls", args: [] }, { serverPath: "/x/ls" }, { code: "ENOENT" }, "");
  assert.equal(g.setting, "neural.server.path");
  assert.match(g.fix, /neural\.server\.path/);
});

test("describeStartFailure: toolchain missing in that Python", () => {
  const cl = { command: "/usr/bin/python3", args: ["-m", "neural_lsp"] };
  const f = s.describeStartFailure(cl, {}, { message: "Connection closed" }, "/usr/bin/python3: No module named neural_lsp");
  assert.match(f.message, /has no module neural_lsp/);
  assert.match(f.fix, /\/usr\/bin\/python3 -m pip install -e \./);
  assert.match(f.fix, /neural\.importStrategy to useBundled/);
  assert.equal(f.setting, "neural.importStrategy");
  const dep = s.describeStartFailure(cl, {}, undefined, "Traceback...\nModuleNotFoundError: No module named 'pygls'");
  assert.match(dep.message, /needs the Python module "pygls"/);
  const noMain = s.describeStartFailure(cl, {}, undefined, "/usr/bin/python3: No module named neural_lsp.__main__; 'neural_lsp' is a package and cannot be directly executed");
  assert.match(noMain.message, /cannot be run with -m \(no __main__\)/);
});

test("describeStartFailure: rejected arguments and unknown crashes", () => {
  const cl = { command: "py", args: ["-m", "neural_lsp", "--bogus"] };
  const f = s.describeStartFailure(cl, { serverArgs: ["--bogus"] }, undefined, "usage: neural_lsp\nerror: unrecognized arguments: --bogus");
  assert.equal(f.setting, "neural.server.args");
  const g = s.describeStartFailure(cl, {}, undefined, "Traceback\nValueError: boom\n");
  assert.match(g.message, /stopped: ValueError: boom$/);
  assert.match(g.fix, /Restart Server/);
});

test("RestartPolicy: never restarts a server that never initialized; caps crash loops", () => {
  const p = new s.RestartPolicy(2, 1000);
  assert.equal(p.shouldRestart(0, false), false);
  assert.equal(p.shouldRestart(0, true), true);
  assert.equal(p.shouldRestart(10, true), true);
  assert.equal(p.shouldRestart(20, true), false, "third crash within the window");
  assert.equal(p.shouldRestart(2000, true), true, "old crashes fall out of the window");
  p.reset();
  assert.equal(p.shouldRestart(2001, true), true);
});
