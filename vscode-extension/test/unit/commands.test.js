// The command table versus package.json, and the server command arguments.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const c = require("../../out/commands.js");

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8"));

test("the brief's palette commands, with the issue's titles", () => {
  const titles = Object.fromEntries(c.COMMANDS.map((x) => [x.id, `${c.CATEGORY}: ${x.title}`]));
  assert.deepEqual(titles, {
    "neural.runHpo": "Neural: Run HPO",
    "neural.compilePytorch": "Neural: Compile to PyTorch",
    "neural.compileTensorflow": "Neural: Compile to TensorFlow",
    "neural.train": "Neural: Train",
    "neural.openTui": "Neural: Open Experiments (TUI)",
    "neural.restartServer": "Neural: Restart Server",
  });
});

test("package.json contributes.commands == the commands the code registers (both ways)", () => {
  const declared = pkg.contributes.commands.map((x) => x.command).sort();
  const registered = c.COMMANDS.map((x) => x.id).sort();
  assert.deepEqual(declared, registered);
  assert.deepEqual(pkg.contributes.commands, c.expectedContributions().commands);
});

test("package.json menus match the table: palette, editor title, editor context", () => {
  assert.deepEqual(pkg.contributes.menus, c.expectedContributions().menus);
  const ids = new Set(c.COMMANDS.map((x) => x.id));
  for (const [menu, items] of Object.entries(pkg.contributes.menus)) {
    for (const item of items) assert.ok(ids.has(item.command), `${menu} names unknown command ${item.command}`);
  }
  // editor-only commands are scoped to the neural language everywhere they show
  for (const item of pkg.contributes.menus["editor/title"]) assert.equal(item.when, "resourceLangId == neural");
  for (const item of pkg.contributes.menus["editor/context"]) assert.equal(item.when, "editorLangId == neural");
});

test("palette ids never collide with the server's command ids (the client auto-registers those)", () => {
  const server = new Set(Object.values(c.SERVER_COMMANDS));
  for (const x of c.COMMANDS) assert.ok(!server.has(x.id), x.id);
  for (const id of server) assert.match(id, /^neural\.server\./);
});

test("every setting the code reads is declared in package.json, and nothing else", () => {
  const declared = Object.keys(pkg.contributes.configuration.properties).sort();
  assert.deepEqual(declared, Object.values(c.SETTINGS).sort());
  const props = pkg.contributes.configuration.properties;
  assert.equal(props["neural.inlayHints.shapes"].default, true);
  assert.deepEqual(props["neural.diagnostics.level"].enum, ["error", "warning", "information", "hint"]);
  assert.equal(props["neural.diagnostics.level"].default, "hint");
  assert.deepEqual(props["neural.trace.server"].enum, ["off", "messages", "verbose"]);
  assert.equal(props["neural.interpreter"].default, "");
  assert.deepEqual(props["neural.importStrategy"].enum, ["useBundled", "fromEnvironment"]);
  assert.equal(props["neural.importStrategy"].default, "useBundled");
  assert.ok(props["neural.pythonPath"].markdownDeprecationMessage, "pythonPath is the deprecated name of interpreter");
  for (const s of c.RESTART_SETTINGS) assert.ok(props[s], s);
});

test("registerAll registers each command once, in table order", () => {
  const handlers = Object.fromEntries(c.COMMANDS.map((x) => [x.id, () => x.id]));
  const seen = [];
  const disposables = c.registerAll(handlers, (id, h) => {
    seen.push(id);
    assert.equal(h(), id);
    return { id };
  });
  assert.deepEqual(seen, c.COMMANDS.map((x) => x.id));
  assert.equal(disposables.length, c.COMMANDS.length);
});

test("registerAll refuses a handler table with a missing or an extra command", () => {
  const handlers = Object.fromEntries(c.COMMANDS.map((x) => [x.id, () => {}]));
  const { ["neural.train"]: _, ...missing } = handlers;
  assert.throws(() => c.registerAll(missing, () => {}), /missing handlers \["neural\.train"\]/);
  assert.throws(() => c.registerAll({ ...handlers, "neural.bogus": () => {} }, () => {}), /unknown \["neural\.bogus"\]/);
});

test("server command arguments follow the contract", () => {
  assert.deepEqual(c.runHpoCommand("file:///a.neural", "Net", 10), { command: "neural.server.runHpo", arguments: ["file:///a.neural", "Net", 10] });
  assert.deepEqual(c.runHpoCommand("file:///a.neural", null, null).arguments, ["file:///a.neural", null, null]);
  assert.deepEqual(c.runHpoCommand("u", null, 0).arguments, ["u", null, null], "a non-positive trial count means: server default");
  assert.deepEqual(c.runHpoCommand("u", null, 2.5).arguments, ["u", null, null]);
  assert.deepEqual(c.compileCommand("u", "pytorch", null), { command: "neural.server.compile", arguments: ["u", "pytorch", null] });
  assert.deepEqual(c.compileCommand("u", "tensorflow", "Net").arguments, ["u", "tensorflow", "Net"]);
  assert.deepEqual(c.trainCommand("u", "Net"), { command: "neural.server.train", arguments: ["u", "Net"] });
});

test("manifest: language, grammar, snippets and entry point are wired", () => {
  assert.equal(pkg.main, "./dist/extension.js");
  const lang = pkg.contributes.languages.find((l) => l.id === c.LANGUAGE_ID);
  assert.deepEqual(lang.extensions, [".neural"]);
  const g = pkg.contributes.grammars.find((x) => x.language === c.LANGUAGE_ID);
  assert.equal(g.scopeName, "source.neural");
  const root = path.join(__dirname, "../..");
  for (const p of [lang.configuration, g.path, pkg.contributes.snippets[0].path]) assert.ok(fs.existsSync(path.join(root, p)), p);
  assert.equal(JSON.parse(fs.readFileSync(path.join(root, g.path), "utf8")).scopeName, "source.neural");
  assert.match(pkg.engines.vscode, /^\^1\.\d+\.\d+$/);
  assert.equal(pkg.dependencies["vscode-languageclient"], "11.0.0");
});

test("lens/code-action invocations of server commands get the same UI as the palette", () => {
  assert.deepEqual(c.serverCommandUi(c.runHpoCommand("u", "N", null)), { kind: "runHpo", title: "Run HPO", cancellable: true });
  assert.deepEqual(c.serverCommandUi(c.trainCommand("u", null)), { kind: "train", title: "Train", cancellable: true });
  assert.deepEqual(c.serverCommandUi(c.compileCommand("u", "pytorch", null)), { kind: "compile", title: "Compile to PyTorch", cancellable: false });
  assert.equal(c.serverCommandUi(c.compileCommand("u", "tensorflow", "N")).title, "Compile to TensorFlow");
  // A lens built by the server with the contract's arguments is recognised the same way.
  assert.equal(c.serverCommandUi({ command: "neural.server.compile", arguments: ["file:///m.neural", "jax", null] }).title, "Compile to jax");
  assert.equal(c.serverCommandUi({ command: "neural.server.somethingElse", arguments: [] }), undefined);
  // Every palette command that calls the server has this UI.
  for (const id of ["neural.runHpo", "neural.compilePytorch", "neural.compileTensorflow", "neural.train"]) assert.ok(c.COMMANDS.find((x) => x.id === id));
});
