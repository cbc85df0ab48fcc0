// Server results, progress and the status bar text.
const test = require("node:test");
const assert = require("node:assert/strict");
const r = require("../../out/results.js");

const hpo = {
  best_value: 0.93125,
  best_params: { "layers[3].Dense.units": 128, "optimizer.Adam.learning_rate": 0.000123456, "train.batch_size": 64, act: "relu" },
  optimized_text: "network N { }",
  optimized_uri: "file:///w/m.optimized.neural",
  trials: 10,
  results_path: "/w/neural_experiments/hpo.json",
};

test("HPO result: validated and summarised with the stable parameter names", () => {
  assert.equal(r.asHpoResult(hpo), hpo);
  assert.equal(
    r.formatHpoResult(hpo),
    "HPO finished: best 0.9313 after 10 trials (layers[3].Dense.units=128, optimizer.Adam.learning_rate=1.235e-4, train.batch_size=64, act=relu).",
  );
  assert.equal(r.formatHpoResult({ ...hpo, trials: 1, best_params: {} }), "HPO finished: best 0.9313 after 1 trial.");
});

test("malformed server results are a clear error, not undefined later", () => {
  assert.throws(() => r.asHpoResult(null), /Run HPO: unexpected result from the language server \(not an object\)/);
  assert.throws(() => r.asHpoResult({ ...hpo, best_value: "x" }), /best_value is not a number/);
  assert.throws(() => r.asHpoResult({ ...hpo, optimized_text: undefined }), /optimized_text is not a string/);
  assert.throws(() => r.asCompileResult({ file: "/x.py" }), /Compile: .*path is not a string/);
  assert.deepEqual(r.asCompileResult({ path: "/w/m_pytorch.py" }), { path: "/w/m_pytorch.py" });
  assert.throws(() => r.asTrainResult({ metrics: [] , experiment_dir: "d"}), /Train/);
});

test("train result summary", () => {
  const t = r.asTrainResult({ metrics: { accuracy: 0.98765, loss: 0.0412 }, experiment_dir: "/w/neural_experiments/run_1" });
  assert.equal(r.formatTrainResult(t), "Training finished: accuracy 0.9877, loss 0.0412. Experiment: /w/neural_experiments/run_1");
});

test("formatValue: no float noise, exponent for tiny/huge, strings bare", () => {
  assert.equal(r.formatValue(0.1 + 0.2), "0.3");
  assert.equal(r.formatValue(128), "128");
  assert.equal(r.formatValue(1e-4), "1e-4");
  assert.equal(r.formatValue(2500000.5), "2.5e+6");
  assert.equal(r.formatValue("adam"), "adam");
  assert.equal(r.formatValue([3, 3]), "[3,3]");
  assert.equal(r.formatValue(true), "true");
});

test("networkShape: null and malformed answers show nothing", () => {
  assert.equal(r.asNetworkShape(null), null);
  assert.equal(r.asNetworkShape({ network: "N" }), null);
  assert.deepEqual(r.asNetworkShape({ network: "N", input: "(28, 28, 1)", output: "(10,)" }), {
    network: "N", input: "(28, 28, 1)", output: "(10,)", layer: null, layer_output: null,
  });
});

test("status bar text: state, network shape, layer shape", () => {
  const net = { network: "MNIST", input: "(28, 28, 1)", output: "(10,)", layer: null, layer_output: null };
  assert.equal(r.statusBarText("running", net).text, "$(symbol-class) MNIST: (28, 28, 1) → (10,)");
  const layer = { ...net, layer: "Conv2D", layer_output: "(26, 26, 32)" };
  const t = r.statusBarText("running", layer);
  assert.equal(t.text, "$(symbol-class) Conv2D → (26, 26, 32)");
  assert.match(t.tooltip, /Network MNIST: \(28, 28, 1\) → \(10,\)/);
  assert.equal(r.statusBarText("running", null).text, "$(symbol-class) Neural");
  assert.equal(r.statusBarText("starting", net).text, "$(sync~spin) Neural: starting…");
  assert.equal(r.statusBarText("failed", null).text, "$(error) Neural: server failed");
  assert.match(r.statusBarText("stopped", null).tooltip, /restart/i);
});

test("ProgressAdapter: absolute percentages become increments; messages persist", () => {
  const p = new r.ProgressAdapter();
  assert.deepEqual(p.update({ kind: "begin", title: "HPO", percentage: 0 }), {});
  assert.deepEqual(p.update({ kind: "report", message: "trial 1/4, best 0.9", percentage: 25 }), { message: "trial 1/4, best 0.9", increment: 25 });
  assert.deepEqual(p.update({ kind: "report", percentage: 50 }), { message: "trial 1/4, best 0.9", increment: 25 });
  assert.deepEqual(p.update({ kind: "report", message: "trial 2/4, best 0.93", percentage: 40 }), { message: "trial 2/4, best 0.93" }, "never goes backwards");
  assert.deepEqual(p.update({ kind: "report", percentage: 250 }), { message: "trial 2/4, best 0.93", increment: 50 }, "clamped at 100");
  assert.equal(p.ended, false);
  p.update({ kind: "end", message: "done" });
  assert.equal(p.ended, true);
  assert.equal(p.message, "done");
});

test("Debouncer runs only the last call, after the quiet period", () => {
  const pending = new Map();
  let next = 0;
  const timers = {
    set: (fn, ms) => {
      const id = ++next;
      pending.set(id, { ms, fn: () => (pending.delete(id), fn()) });
      return id;
    },
    clear: (h) => pending.delete(h),
  };
  const d = new r.Debouncer(150, timers);
  const calls = [];
  d.schedule(() => calls.push(1));
  d.schedule(() => calls.push(2));
  d.schedule(() => calls.push(3));
  assert.equal(pending.size, 1);
  const [[, t]] = [...pending];
  assert.equal(t.ms, 150);
  t.fn();
  assert.deepEqual(calls, [3]);
  assert.equal(pending.size, 0);
  d.schedule(() => calls.push(4));
  assert.equal(pending.size, 1);
  d.cancel();
  assert.equal(pending.size, 0);
});

test("Debouncer with real timers", async () => {
  const d = new r.Debouncer(20);
  let n = 0;
  for (let i = 0; i < 5; i++) d.schedule(() => n++);
  await new Promise((res) => setTimeout(res, 60));
  assert.equal(n, 1);
});
