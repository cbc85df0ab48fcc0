// Settings -> server / TUI command lines, and the start-failure explanations.
const test = require("node:test");
const assert = require("node:assert/strict");
const s = require("../../out/settings.js");

const vars = { workspaceFolder: "/ws", userHome: "/home/u", env: { VENV: "/venvs/n" } };

test("default server command is python3 -m neural_lsp, with no --stdio", () => {
  assert.deepEqual(s.serverCommandLine({}), { command: "python3", args: ["-m", "neural_lsp"] });
  assert.deepEqual(s.serverCommandLine({ pythonPath: "", serverPath: "  ", serverArgs: [] }), { command: "python3", args: ["-m", "neural_lsp"] });
});

test("pythonPath picks the interpreter and expands ${workspaceFolder}, ~ and ${env:}", () => {
  assert.deepEqual(s.serverCommandLine({ pythonPath: "${workspaceFolder}/.venv/bin/python" }, vars), {
    command: "/ws/.venv/bin/python",
    args: ["-m", "neural_lsp"],
  });
  assert.equal(s.pythonCommand({ pythonPath: "~/py/bin/python" }, vars), "/home/u/py/bin/python");
  assert.equal(s.pythonCommand({ pythonPath: "${env:VENV}/bin/python" }, vars), "/venvs/n/bin/python");
  assert.equal(s.pythonCommand({ pythonPath: " /usr/bin/python3.11 " }, vars), "/usr/bin/python3.11");
});

test("server.args are appended after the module", () => {
  assert.deepEqual(s.serverCommandLine({ pythonPath: "py", serverArgs: ["--log-file", "${workspaceFolder}/ls.log", "-v"] }, vars), {
    command: "py",
    args: ["-m", "neural_lsp", "--log-file", "/ws/ls.log", "-v"],
  });
});

test("server.path replaces python -m neural_lsp entirely; args still appended", () => {
  assert.deepEqual(s.serverCommandLine({ pythonPath: "ignored", serverPath: "/opt/n/bin/neural-lsp", serverArgs: ["-v"] }, vars), {
    command: "/opt/n/bin/neural-lsp",
    args: ["-v"],
  });
  assert.deepEqual(s.serverCommandLine({ serverPath: '"/my tools/py" -X utf8 -m neural_lsp' }, vars), {
    command: "/my tools/py",
    args: ["-X", "utf8", "-m", "neural_lsp"],
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
  assert.throws(() => s.serverCommandLine({ pythonPath: "${workspaceFolder}/py" }, {}), (e) => e instanceof s.SettingError && e.setting === "neural.pythonPath" && /no value/.test(e.message));
  assert.throws(() => s.serverCommandLine({ serverPath: "${config:x}/ls" }, vars), /neural\.server\.path: unknown variable \$\{config:x\}/);
  assert.equal(s.pythonCommand({ pythonPath: "${env:NOPE}python" }, vars), "python");
});

test("TUI runs <python> -m runner tui with the same interpreter as the server", () => {
  assert.deepEqual(s.tuiCommandLine({}), { command: "python3", args: ["-m", "runner", "tui"] });
  assert.deepEqual(s.tuiCommandLine({ pythonPath: "${workspaceFolder}/.venv/bin/python", serverPath: "/x/neural-lsp" }, vars), {
    command: "/ws/.venv/bin/python",
    args: ["-m", "runner", "tui"],
  });
});

test("formatCommandLine quotes what a shell would split", () => {
  assert.equal(s.formatCommandLine({ command: "/a b/py", args: ["-m", "neural_lsp", "it's"] }), `'/a b/py' -m neural_lsp 'it'\\''s'`);
});

test("describeStartFailure: interpreter not found", () => {
  const cl = { command: "python9", args: ["-m", "neural_lsp"] };
  const f = s.describeStartFailure(cl, {}, { message: "Launching server using command python9 failed. Error: spawn python9 ENOENT" }, "");
  assert.match(f.message, /"python9" was not found/);
  assert.match(f.fix, /neural\.pythonPath/);
  assert.equal(f.setting, "neural.pythonPath");
  const g = s.describeStartFailure({ command: "/x/ls", args: [] }, { serverPath: "/x/ls" }, { code: "ENOENT" }, "");
  assert.equal(g.setting, "neural.server.path");
  assert.match(g.fix, /neural\.server\.path/);
});

test("describeStartFailure: toolchain missing in that Python", () => {
  const cl = { command: "/usr/bin/python3", args: ["-m", "neural_lsp"] };
  const f = s.describeStartFailure(cl, {}, { message: "Connection closed" }, "/usr/bin/python3: No module named neural_lsp");
  assert.match(f.message, /has no module neural_lsp/);
  assert.match(f.fix, /\/usr\/bin\/python3 -m pip install -e \./);
  assert.equal(f.setting, "neural.pythonPath");
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
