// Snippets and language configuration: well-formed, and covering what the issue asks for.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "../..");
const snippets = JSON.parse(fs.readFileSync(path.join(root, "snippets/neural.json"), "utf8"));
const langConf = JSON.parse(fs.readFileSync(path.join(root, "language-configuration.json"), "utf8"));

const bodyOf = (name) => [].concat(snippets[name].body).join("\n");

test("snippets: network skeleton, common layers, the HPO forms, a train block", () => {
  for (const name of ["Network", "Train block", "HPO choice", "HPO range", "HPO log_range", "Dense", "Conv2D", "Dropout", "Output", "Flatten", "MaxPooling2D"]) {
    assert.ok(snippets[name], name);
  }
  assert.match(bodyOf("HPO choice"), /^HPO\(choice\(/);
  assert.match(bodyOf("HPO range"), /^HPO\(range\(.*step=/);
  assert.match(bodyOf("HPO log_range"), /^HPO\(log_range\(/);
  assert.match(bodyOf("Network"), /^network \$\{1:\w+\} \{\n\tinput: .*\n\tlayers:\n/);
  assert.match(bodyOf("Train block"), /^train \{\n\tepochs: /);
});

test("snippets: each has a prefix, a description, balanced brackets once expanded", () => {
  for (const [name, s] of Object.entries(snippets)) {
    assert.ok(s.prefix && s.description, name);
    // expand: ${1|a,b|} -> a, ${1:x} -> x, $0 -> ''
    let text = bodyOf(name);
    for (let i = 0; i < 5; i++) text = text.replace(/\$\{\d+\|([^,|]*)[^|]*\|\}/g, "$1").replace(/\$\{\d+:((?:[^}\\]|\\.)*)\}/g, "$1");
    text = text.replace(/\$\d+/g, "").replace(/\\\}/g, "}");
    assert.doesNotMatch(text, /\$\{/, `${name}: unexpanded placeholder in ${text}`);
    const stack = [];
    const pairs = { ")": "(", "]": "[", "}": "{" };
    let inStr = null;
    for (const ch of text) {
      if (inStr) { if (ch === inStr) inStr = null; continue; }
      if (ch === '"' || ch === "'") inStr = ch;
      else if ("([{".includes(ch)) stack.push(ch);
      else if (pairs[ch]) assert.equal(stack.pop(), pairs[ch], `${name}: unbalanced in ${text}`);
    }
    assert.equal(stack.length, 0, `${name}: unclosed in ${text}`);
  }
});

test("language configuration: # comments, brackets, auto-closing, indentation", () => {
  assert.equal(langConf.comments.lineComment, "#");
  assert.deepEqual(langConf.brackets, [["{", "}"], ["[", "]"], ["(", ")"]]);
  const opens = langConf.autoClosingPairs.map((p) => p.open);
  for (const o of ["{", "[", "(", '"', "'"]) assert.ok(opens.includes(o), o);
  const inc = new RegExp(langConf.indentationRules.increaseIndentPattern);
  const dec = new RegExp(langConf.indentationRules.decreaseIndentPattern);
  for (const line of ["network Mnist {", "  layers:", "  train {", "  optimizer: SGD(", "  layers:  # the stack", "  metrics: ["]) assert.match(line, inc, line);
  for (const line of ["  input: (28, 28, 1)", "  Dense(128)", "  # a comment {", '  loss: "x"', "  epochs: 10"]) assert.doesNotMatch(line, inc, line);
  for (const line of ["}", "  )", "  ]"]) assert.match(line, dec, line);
  assert.doesNotMatch("  Dense(1)", dec);
  const word = new RegExp(langConf.wordPattern, "g");
  assert.deepEqual("Dense(units=128, rate=.5, lr=1e-4)".match(word), ["Dense", "units", "128", "rate", ".5", "lr", "1e-4"]);
});
