// Which Python runs what: the version check, the Python extension's API, the status text, the
// extras each command needs, and the plan that installs them into the workspace's .venv.
const test = require("node:test");
const assert = require("node:assert/strict");
const cp = require("node:child_process");
const i = require("../../out/interpreter.js");

test("the version probe runs in a real Python and parses", () => {
  const out = cp.execFileSync("python3", ["-c", i.VERSION_PROBE], { encoding: "utf8" });
  const v = i.parsePythonVersion(out);
  assert.ok(v && v[0] === 3, out);
  assert.deepEqual(i.parsePythonVersion("3.9.18"), [3, 9, 18]);
  assert.equal(i.parsePythonVersion("Python 3.11.2"), undefined);
  assert.equal(i.parsePythonVersion(""), undefined);
});

test("3.11 and later are supported; 3.10, 2.7 are not", () => {
  for (const v of [[3, 11, 0], [3, 13, 1], [4, 0, 0]]) assert.ok(i.isSupported(v), v.join("."));
  for (const v of [[3, 10, 12], [2, 7, 18], [3, 9, 0]]) assert.ok(!i.isSupported(v), v.join("."));
});

test("one clear message for a missing or too old Python, pointing at neural.interpreter", () => {
  assert.equal(i.describeInterpreterProblem("python3", "default", { version: [3, 11, 2] }), undefined);
  assert.equal(i.describeInterpreterProblem("python3", "default", {}), undefined, "an unparsable answer is left to the start itself");
  const old = i.describeInterpreterProblem("/usr/bin/python3", "setting", { version: [3, 9, 2] });
  assert.match(old.message, /needs Python 3\.11\+.*"\/usr\/bin\/python3" \(neural\.interpreter\) is Python 3\.9\.2/);
  assert.equal(old.setting, "neural.interpreter");
  const none = i.describeInterpreterProblem("python3", "default", { notFound: true });
  assert.match(none.message, /"python3" was not found/);
  assert.match(none.fix, /Install Python 3\.11 or newer, or set neural\.interpreter/);
  assert.match(i.describeInterpreterProblem("/x/py", "python extension", { version: [3, 8, 0] }).message, /the Python extension's interpreter/);
});

test("the Python extension's API: the active environment resolved to its executable", async () => {
  const calls = [];
  const api = {
    environments: {
      getActiveEnvironmentPath: (r) => (calls.push(r), { id: "x", path: "/envs/x" }),
      resolveEnvironment: async (e) => ({ executable: { uri: { fsPath: `${e.path}/bin/python` } } }),
    },
  };
  assert.equal(await i.pythonFromExtensionApi(api, "ws-uri"), "/envs/x/bin/python");
  assert.deepEqual(calls, ["ws-uri"]);
  const unresolved = { environments: { getActiveEnvironmentPath: () => ({ path: "/usr/bin/python3" }), resolveEnvironment: async () => undefined } };
  assert.equal(await i.pythonFromExtensionApi(unresolved), "/usr/bin/python3");
  assert.equal(await i.pythonFromExtensionApi(undefined), undefined);
  assert.equal(await i.pythonFromExtensionApi({}), undefined);
  const throwing = { environments: { getActiveEnvironmentPath: () => { throw new Error("not ready"); } } };
  assert.equal(await i.pythonFromExtensionApi(throwing), undefined);
});

test("the status text says which server runs and its version", () => {
  assert.deepEqual(i.serverLabel("bundled", "0.1.0", "/usr/bin/python3").text, "Neural 0.1.0 (bundled)");
  assert.match(i.serverLabel("bundled", "0.1.0", "/usr/bin/python3").tooltip, /bundled with the extension, running on \/usr\/bin\/python3/);
  assert.equal(i.serverLabel("environment", "0.2.0", "/v/bin/python").text, "Neural 0.2.0 (environment)");
  assert.equal(i.serverLabel("custom", undefined, undefined).text, "Neural (custom)");
});

test("the modules probe names what a real Python lacks", () => {
  const out = cp.execFileSync("python3", ["-c", i.MODULES_PROBE, "json", "no_such_module_xyz", "os"], { encoding: "utf8" });
  assert.deepEqual(i.parseMissingModules(out), ["no_such_module_xyz"]);
  assert.deepEqual(i.parseMissingModules("\n"), []);
  for (const kind of ["train", "runHpo", "tui"]) assert.ok(i.JOB_MODULES[kind].includes("runner"), kind);
  assert.ok(i.JOB_MODULES.train.includes("torch") && i.JOB_MODULES.runHpo.includes("optuna") && i.JOB_MODULES.tui.includes("textual"));
  assert.match(i.describeMissingExtras("train", "/usr/bin/python3", ["runner", "torch"]), /Train needs runner, torch, which "\/usr\/bin\/python3" does not have\. Create \.venv .*neural-dsl\[torch,hpo,tracking,tui\]/);
});

test("jobs run in the workspace's .venv when it exists, else in the interpreter", () => {
  assert.equal(i.jobPython("/usr/bin/python3", "/ws", (p) => p === "/ws/.venv/bin/python"), "/ws/.venv/bin/python");
  assert.equal(i.jobPython("/usr/bin/python3", "/ws", () => false), "/usr/bin/python3");
  assert.equal(i.jobPython("/usr/bin/python3", undefined, () => true), "/usr/bin/python3");
  assert.equal(i.venvPython("C:\\ws", "win32").endsWith("python.exe"), true);
});

test("the install plan: this checkout when the workspace is it, else the bundled wheel; venv, then pip with the extras", () => {
  assert.equal(i.installSource("/ws", '[project]\nname = "neural-dsl"\n', "/ext/w.whl"), "/ws");
  assert.equal(i.installSource("/ws", '[project]\nname = "other"\n', "/ext/w.whl"), "/ext/w.whl");
  assert.equal(i.installSource("/ws", undefined, undefined), undefined);
  const steps = i.installSteps("/usr/bin/python3", "/ws", "/ext/w.whl", false);
  assert.deepEqual(steps.map((s) => [s.command, ...s.args]), [
    ["/usr/bin/python3", "-m", "venv", "/ws/.venv"],
    ["/ws/.venv/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "/ext/w.whl[torch,hpo,tracking,tui]"],
  ]);
  assert.equal(i.installSteps("/usr/bin/python3", "/ws", "/ws", true).length, 1, "an existing .venv is reused");
});
