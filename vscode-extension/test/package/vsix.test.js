// The .vsix that `npm run package` built: grammar, compiled client, manifest, nothing else.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const cp = require("node:child_process");
const os = require("node:os");
const { readZip } = require("./zip");

const root = path.join(__dirname, "../..");
const VSIX = process.env.NEURAL_VSIX || path.join(root, "neural-lang.vsix");

test("the .vsix holds the manifest, grammar, language configuration, snippets and the bundled client", { skip: !fs.existsSync(VSIX) && `no ${VSIX}: run npm run package` }, () => {
  const zip = readZip(VSIX);
  const names = zip.names.sort();
  for (const required of [
    "extension.vsixmanifest",
    "[Content_Types].xml",
    "extension/package.json",
    "extension/dist/extension.js",
    "extension/syntaxes/neural.tmLanguage.json",
    "extension/language-configuration.json",
    "extension/snippets/neural.json",
    "extension/readme.md",
  ]) {
    assert.ok(names.includes(required), `${required} missing from ${names.join(", ")}`);
  }
  for (const n of names) {
    assert.doesNotMatch(n, /^extension\/(src|test|node_modules|out|scripts|test-artifacts)\//, `${n} should not be packaged`);
    if (!n.startsWith("extension/bundled/libs/")) assert.doesNotMatch(n, /\.(ts|map)$/, `${n} should not be packaged`);
  }

  const pkg = JSON.parse(zip.read("extension/package.json"));
  const local = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  assert.deepEqual(pkg.contributes, local.contributes);
  assert.equal(pkg.main, "./dist/extension.js");

  const grammar = JSON.parse(zip.read("extension/syntaxes/neural.tmLanguage.json"));
  assert.equal(grammar.scopeName, "source.neural");
  assert.deepEqual(grammar, JSON.parse(fs.readFileSync(path.join(root, "syntaxes/neural.tmLanguage.json"), "utf8")));

  const manifest = zip.read("extension.vsixmanifest").toString("utf8");
  assert.match(manifest, new RegExp(`<Identity[^>]*Id="${local.name}"[^>]*Version="${local.version}"[^>]*Publisher="${local.publisher}"`));
  assert.match(manifest, /Microsoft\.VisualStudio\.Code\.Engine" Value="\^1\.\d+\.\d+"/);

  const js = zip.read("extension/dist/extension.js").toString("utf8");
  assert.match(js, /exports|module\.exports/);
  assert.match(js, /neural\.server\.runHpo/);
  assert.match(js, /require\("vscode"\)/, "vscode stays external");
  assert.doesNotMatch(js, /require\("vscode-languageclient[^"]*"\)/, "the language client is bundled in (the .vsix has no node_modules)");
});

// The interpreter the tests ran with: the bundle must carry exactly its versions.
const PYTHON = process.env.NEURAL_PYTHON || path.join(root, "../.venv/bin/python");
// Any Python 3.11+ with nothing installed: Debian's own.
const BARE_PYTHON = process.env.NEURAL_BARE_PYTHON || "/usr/bin/python3";

test("the .vsix carries the server and its pure-Python dependencies, pinned, and nothing platform-specific", { skip: !fs.existsSync(VSIX) && `no ${VSIX}: run npm run package` }, () => {
  const zip = readZip(VSIX);
  const names = zip.names;
  const libs = "extension/bundled/libs/";
  for (const pkg of ["compiler", "neural_lsp", "pygls", "lsprotocol", "cattrs", "attr", "attrs", "lark", "rich"]) {
    assert.ok(names.includes(`${libs}${pkg}/__init__.py`), `${pkg} not bundled`);
  }
  assert.ok(names.includes(`${libs}compiler/grammar.lark`));
  assert.ok(names.includes("extension/bundled/tool/server.py"));
  assert.ok(names.some((n) => /^extension\/bundled\/wheels\/neural_dsl-[\d.]+-py3-none-any\.whl$/.test(n)), "the neural-dsl wheel for Create .venv");
  for (const n of names) {
    assert.doesNotMatch(n, /\.(so|pyd|dylib|dll|exe|pyc)$|__pycache__|\/tests?\//, `${n}: platform-specific, bytecode or tests`);
  }
  const pins = zip.read("extension/bundled/requirements.txt").toString("utf8").trim().split("\n");
  if (fs.existsSync(PYTHON)) {
    const installed = cp.execFileSync(PYTHON, ["-c", "import importlib.metadata as m, sys; print('\\n'.join(f'{n}=={m.version(n)}' for n in sys.argv[1:]))", ...pins.map((p) => p.split("==")[0])], { encoding: "utf8" }).trim().split("\n");
    assert.deepEqual(pins, installed, "bundled versions are the ones installed where the tests run");
  }
  for (const dep of ["pygls", "lsprotocol", "cattrs", "attrs", "lark", "rich"]) assert.ok(pins.some((p) => p.startsWith(`${dep}==`)), `${dep} not pinned`);
  const size = fs.statSync(VSIX).size;
  console.log(`# neural-lang.vsix: ${(size / 1024 / 1024).toFixed(2)} MB, ${names.length} files`);
  assert.ok(size < 5 * 1024 * 1024, `the .vsix grew to ${size} bytes`);
});

test("the bundled server, unpacked from the .vsix, runs on a bare Python with nothing installed", { skip: (!fs.existsSync(VSIX) && "no .vsix") || (!fs.existsSync(BARE_PYTHON) && `no ${BARE_PYTHON}`) }, () => {
  const zip = readZip(VSIX);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neural-vsix-"));
  for (const n of zip.names.filter((x) => x.startsWith("extension/bundled/") && !x.endsWith("/"))) {
    const to = path.join(dir, n);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, zip.read(n));
  }
  const server = path.join(dir, "extension/bundled/tool/server.py");
  const bare = cp.spawnSync(BARE_PYTHON, ["-c", "import pygls"], { encoding: "utf8" });
  assert.notEqual(bare.status, 0, `${BARE_PYTHON} is not bare: it has pygls`);
  const r = cp.spawnSync(BARE_PYTHON, ["-I", server, "--version"], { encoding: "utf8", timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^neural-lsp \d/);
  fs.rmSync(dir, { recursive: true, force: true });
});
