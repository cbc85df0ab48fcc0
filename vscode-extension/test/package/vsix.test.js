// The .vsix that `npm run package` built: grammar, compiled client, manifest, nothing else.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
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
    assert.doesNotMatch(n, /\.(ts|map)$/, `${n} should not be packaged`);
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
