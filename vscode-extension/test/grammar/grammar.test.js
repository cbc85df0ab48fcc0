// Grammar tests: sample programs tokenized by the real TextMate engine, scopes asserted.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { tokenizeProgram, scopes, scopeOf } = require("./tokenize");

test("a layer line: name, parameter, operator, number, comment", async () => {
  assert.deepEqual(await scopes("  Dense(units=128) # hidden"), [
    ["Dense", "support.class.layer.neural"],
    ["(", "punctuation.section.parens.begin.neural"],
    ["units", "variable.parameter.neural"],
    ["=", "keyword.operator.assignment.neural"],
    ["128", "constant.numeric.neural"],
    [")", "punctuation.section.parens.end.neural"],
    ["# hidden", "comment.line.number-sign.neural"],
  ]);
});

test("network and define headers, section keywords", async () => {
  const prog = [
    "define ConvBlock {",
    "  Conv2D(32, (3,3))",
    "}",
    "network MNISTClassifier {",
    "  input: (28, 28, 1)",
    "  layers:",
    "    ConvBlock() * 2",
    "  loss: \"sparse_categorical_crossentropy\"",
    "  optimizer: Adam(learning_rate=0.001)",
    "  metrics: [\"accuracy\"]",
    "  train { epochs: 10 }",
    "  execute { device: \"auto\" }",
    "}",
  ].join("\n");
  const s = await scopes(prog);
  const get = (w, n = 0) => s.filter(([x]) => x === w)[n]?.[1];
  assert.equal(get("define"), "storage.type.define.neural");
  assert.equal(get("ConvBlock"), "entity.name.function.macro.neural");
  assert.equal(get("ConvBlock", 1), "entity.name.function.call.neural", "macro use");
  assert.equal(get("network"), "storage.type.network.neural");
  assert.equal(get("MNISTClassifier"), "entity.name.type.network.neural");
  for (const kw of ["input", "layers", "loss", "optimizer", "metrics", "train", "execute"]) assert.equal(get(kw), "keyword.other.section.neural", kw);
  assert.equal(get("epochs"), "variable.other.property.neural");
  assert.equal(get("device"), "variable.other.property.neural");
  assert.equal(get("*"), "keyword.operator.repetition.neural");
  assert.equal(get("2"), "constant.numeric.neural");
  assert.equal(get("Adam"), "support.class.optimizer.neural");
  assert.equal(get("learning_rate"), "variable.parameter.neural");
  assert.equal(get("accuracy"), "string.quoted.double.neural");
  assert.equal(get("{"), "punctuation.section.block.begin.neural");
  assert.equal(get("["), "punctuation.section.brackets.begin.neural");
});

test("HPO expressions: HPO, the search functions, their arguments", async () => {
  const s = await scopes('Dense(HPO(choice(128, 256)), activation="relu") Dropout(HPO(range(0.3, 0.7, step=0.1))) Adam(learning_rate=HPO(log_range(1e-4, 1e-2)))');
  const get = (w, n = 0) => s.filter(([x]) => x === w)[n]?.[1];
  assert.equal(get("HPO"), "keyword.other.hpo.neural");
  assert.equal(get("HPO", 2), "keyword.other.hpo.neural");
  assert.equal(get("choice"), "support.function.hpo.neural");
  assert.equal(get("range"), "support.function.hpo.neural");
  assert.equal(get("log_range"), "support.function.hpo.neural");
  assert.equal(get("step"), "variable.parameter.neural");
  for (const n of ["128", "256", "0.3", "0.7", "0.1", "1e-4", "1e-2"]) assert.equal(get(n), "constant.numeric.neural", n);
  assert.equal(get("activation"), "variable.parameter.neural");
  assert.equal(get("relu"), "string.quoted.double.neural");
  const custom = await scopes('Dense(HPO(custom({"small": {"units": 64}, "large": {"units": 256}})))');
  assert.deepEqual(custom.filter(([, sc]) => !sc.startsWith("punctuation")).slice(0, 5), [
    ["Dense", "support.class.layer.neural"],
    ["HPO", "keyword.other.hpo.neural"],
    ["custom", "support.function.hpo.neural"],
    ["small", "string.quoted.double.neural"],
    ["units", "string.quoted.double.neural"],
  ]);
});

test("HPO choice of layers", async () => {
  const s = await scopes("HPO(choice(Dense(64), Dropout(0.5)))");
  assert.deepEqual(s.filter(([, sc]) => !sc.startsWith("punctuation")), [
    ["HPO", "keyword.other.hpo.neural"],
    ["choice", "support.function.hpo.neural"],
    ["Dense", "support.class.layer.neural"],
    ["64", "constant.numeric.neural"],
    ["Dropout", "support.class.layer.neural"],
    ["0.5", "constant.numeric.neural"],
  ]);
});

test("layer names are case-insensitive; unknown calls are plain calls", async () => {
  assert.equal(await scopeOf("dense(64)", "dense"), "support.class.layer.neural");
  assert.equal(await scopeOf("DENSE(64)", "DENSE"), "support.class.layer.neural");
  assert.equal(await scopeOf("maxpooling2d((2,2))", "maxpooling2d"), "support.class.layer.neural");
  for (const l of ["Conv2DTranspose", "GlobalAveragePooling1D", "SpatialDropout2D", "MultiHeadAttention", "TransformerEncoder", "ResidualConnection", "Bidirectional", "TimeDistributed", "LayerNormalization", "GroupNormalization", "SeparableConv2D", "DepthwiseConv2D", "GaussianNoise", "Concatenate"]) {
    assert.equal(await scopeOf(`${l}()`, l), "support.class.layer.neural", l);
  }
  assert.equal(await scopeOf("MyBlock(3)", "MyBlock"), "entity.name.function.call.neural");
  assert.equal(await scopeOf("Denser(3)", "Denser"), "entity.name.function.call.neural", "a prefix of a layer name is not a layer");
  assert.equal(await scopeOf("SGD(learning_rate=ExponentialDecay(0.1, 1000, 0.96))", "ExponentialDecay"), "support.function.schedule.neural");
});

test("numbers: ints, negatives, floats, .5, exponents; not inside identifiers", async () => {
  const s = await scopes("Foo(a=32, b=-3, c=0.5, d=.5, e=1e-4, f=2.5E3, g=x1, h=conv2)");
  const nums = s.filter(([, sc]) => sc === "constant.numeric.neural").map(([t]) => t);
  assert.deepEqual(nums, ["32", "-3", "0.5", ".5", "1e-4", "2.5E3"]);
});

test("strings: both quotes, escapes, device strings after @", async () => {
  assert.deepEqual(await scopes(`Conv2D(64, (3,3)) @ "cuda:0"`).then((s) => s.slice(-4)), [
    ["@", "keyword.operator.device.neural"],
    ['"', "punctuation.definition.string.begin.neural"],
    ["cuda:0", "string.quoted.double.neural"],
    ['"', "punctuation.definition.string.end.neural"],
  ]);
  assert.equal(await scopeOf("Dense(10, activation='relu')", "relu"), "string.quoted.single.neural");
  const esc = await scopes(String.raw`Dense(64, activation="re\"lu\n")`);
  assert.deepEqual(esc.filter(([, sc]) => sc === "constant.character.escape.neural").map(([t]) => t), ['\\"', "\\n"]);
  assert.equal(await scopeOf('Dense(1, a="# not a comment")', "# not a comment"), "string.quoted.double.neural");
});

test("an unterminated string ends at the line end instead of swallowing the file", async () => {
  const { lines } = await tokenizeProgram('Dense(64, activation="relu)\nDense(10)');
  const second = lines[1].tokens.filter(([t]) => t.trim());
  assert.equal(second[0][1], "support.class.layer.neural");
});

test("literals true/false/none in any case; comments with # and //", async () => {
  for (const w of ["true", "False", "NONE", "None"]) assert.equal(await scopeOf(`LSTM(64, return_sequences=${w})`, w), "constant.language.neural", w);
  assert.equal(await scopeOf("Flatten() // flat", "// flat"), "comment.line.double-slash.neural");
  assert.equal(await scopeOf("# network Foo {", "# network Foo {"), "comment.line.number-sign.neural");
  assert.equal(await scopeOf("LSTM(truely=1)", "truely"), "variable.parameter.neural");
});

test("`name: value` inside a call is a named argument; in a block, a property", async () => {
  assert.equal(await scopeOf("Dense(units: 64)", "units"), "variable.parameter.neural");
  assert.equal(await scopeOf("train {\n  batch_size: HPO(choice(32, 64))\n}", "batch_size"), "variable.other.property.neural");
});

test("a multi-line call keeps its parameter scopes across lines", async () => {
  const prog = "optimizer: SGD(\n  learning_rate=ExponentialDecay(\n    HPO(range(0.05, 0.2, step=0.05)),  # initial\n    1000\n  ),\n  momentum=0.9\n)\nlayers:";
  const { lines, endStack, initial } = await tokenizeProgram(prog);
  const tok = (li, w) => lines[li].tokens.find(([t]) => t.trim() === w);
  assert.equal(tok(2, "HPO")[1], "keyword.other.hpo.neural");
  assert.equal(tok(2, "# initial")[1], "comment.line.number-sign.neural");
  assert.equal(tok(5, "momentum")[1], "variable.parameter.neural");
  assert.ok(tok(5, "momentum")[2].includes("punctuation.section.parens.begin.neural") === false);
  assert.equal(tok(7, "layers")[1], "keyword.other.section.neural", "back at top level after the call closes");
  assert.ok(endStack.equals(initial), "rule stack back to the start state");
});

// The conformance corpus: the original project's own test programs (shared/, beside the repo).
const CORPUS = path.join(__dirname, "../../../../shared/conformance/corpus");

test("conformance corpus: every `expect: ok` program tokenizes back to the start state, with no illegal token, and every known layer is scoped", async (t) => {
  if (!fs.existsSync(CORPUS)) return t.skip(`no corpus at ${CORPUS}`);
  const files = fs.readdirSync(CORPUS).filter((f) => f.endsWith(".neural"));
  assert.ok(files.length > 200, `corpus has ${files.length} files`);
  let checked = 0;
  const layerCalls = /\b(Dense|Conv2D|Dropout|Flatten|MaxPooling2D|Output|LSTM|BatchNormalization|Embedding)\s*\(/g;
  for (const f of files) {
    const text = fs.readFileSync(path.join(CORPUS, f), "utf8");
    if (!/^# expect: ok$/m.test(text)) continue;
    const program = text.split(/^# ---$/m)[1] ?? "";
    const { lines, endStack, initial } = await tokenizeProgram(program);
    const tokens = lines.flatMap((l) => l.tokens);
    const illegal = tokens.filter(([, sc]) => sc.startsWith("invalid"));
    assert.deepEqual(illegal.map(([tx]) => tx), [], `${f}: illegal tokens`);
    assert.ok(endStack.equals(initial), `${f}: ends inside an open string or call`);
    const expected = [...program.replace(/#.*$|"[^"\n]*"|'[^'\n]*'/gm, "").matchAll(layerCalls)].map((m) => m[1]);
    const scoped = tokens.filter(([tx, sc]) => sc === "support.class.layer.neural" && expected.includes(tx)).map(([tx]) => tx);
    assert.deepEqual(scoped, expected, `${f}: layer names`);
    checked++;
  }
  assert.ok(checked > 100, `checked ${checked} ok programs`);
});
