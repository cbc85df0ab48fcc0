// Wire protocol: the real Python language server, driven over stdio by
// vscode-languageserver-protocol (the JSON-RPC stack vscode-languageclient uses), checked
// against the contract the extension is built on.
//
//   NEURAL_PYTHON     interpreter with the toolchain (default <repo>/.venv/bin/python)
//   NEURAL_WIRE_HPO=1 also run the HPO progress + cancel check (trains models: slow, needs extras)
const test = require("node:test");
const assert = require("node:assert/strict");
const cp = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { pathToFileURL, fileURLToPath } = require("node:url");
const rpc = require("vscode-languageserver-protocol/node");

const REPO = path.resolve(__dirname, "../../..");
const PYTHON = process.env.NEURAL_PYTHON || path.join(REPO, ".venv/bin/python");
const FIXTURES = path.join(__dirname, "../fixtures");
const TIMEOUT = Number(process.env.NEURAL_WIRE_TIMEOUT_MS || 30000);

/** Starts the server exactly as the extension does by default: `<python> -m neural_lsp`, no --stdio. */
function startServer(settings) {
  const proc = cp.spawn(PYTHON, ["-m", "neural_lsp"], { cwd: REPO, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  const conn = rpc.createProtocolConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
  const seen = { diagnostics: [], progress: [], showDocument: [], configRequests: [], notifications: [] };
  const waiters = new Set();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  conn.onNotification(rpc.PublishDiagnosticsNotification.type, (p) => {
    seen.diagnostics.push(p);
    poke();
  });
  conn.onNotification((method, params) => {
    seen.notifications.push({ method, params });
    poke();
  });
  conn.onProgress(rpc.WorkDoneProgress.type, "wire-hpo", (v) => {
    seen.progress.push(v);
    poke();
  });
  conn.onRequest(rpc.ConfigurationRequest.type, (p) => {
    seen.configRequests.push(p);
    setImmediate(poke);
    return p.items.map((item) => lookup(settings.current, item.section));
  });
  conn.onRequest(rpc.ShowDocumentRequest.type, (p) => {
    seen.showDocument.push(p);
    poke();
    return { success: true };
  });
  conn.onRequest(rpc.WorkDoneProgressCreateRequest.type, () => null);
  conn.onRequest(rpc.RegistrationRequest.type, () => null);
  conn.onRequest(rpc.UnregistrationRequest.type, () => null);
  conn.onRequest((method) => {
    if (/\/refresh$/.test(method)) return null;
    return new rpc.ResponseError(rpc.ErrorCodes.MethodNotFound, `test client: ${method}`);
  });
  conn.listen();
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  proc.on("error", (e) => (stderr += `spawn error: ${e.message}`));
  /** Resolves once `pred()` returns a truthy value; fails with the server's stderr on timeout. */
  function waitFor(what, pred, ms = TIMEOUT) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = pred();
        if (v) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}\nserver stderr:\n${stderr.slice(-3000)}`));
      }, ms);
      waiters.add(check);
      check();
    });
  }
  return { proc, conn, seen, waitFor, exited, stderr: () => stderr };
}

/** `neural` -> the object, `neural.inlayHints.shapes` -> the leaf, as VS Code answers. */
function lookup(settings, section) {
  if (!section) return { neural: settings };
  const parts = section.split(".");
  if (parts[0] !== "neural") return null;
  let v = settings;
  for (const p of parts.slice(1)) v = v?.[p];
  return v === undefined ? null : v;
}

const CLIENT_CAPABILITIES = {
  workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false }, executeCommand: {}, workspaceFolders: true },
  window: { workDoneProgress: true, showDocument: { support: true }, showMessage: {} },
  textDocument: {
    synchronization: { didSave: true, dynamicRegistration: false },
    publishDiagnostics: { relatedInformation: true, versionSupport: true },
    hover: { contentFormat: ["markdown", "plaintext"] },
    inlayHint: {},
    codeLens: {},
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ["", "quickfix", "refactor", "source"] } } },
    completion: { completionItem: { snippetSupport: true } },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
  },
};

function copyFixture(dir, name) {
  const dst = path.join(dir, name);
  fs.copyFileSync(path.join(FIXTURES, name), dst);
  return { path: dst, uri: pathToFileURL(dst).href, text: fs.readFileSync(dst, "utf8") };
}

function positionOf(text, needle, offset = 0) {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${needle} not in fixture`);
  const before = text.slice(0, i + offset).split("\n");
  return { line: before.length - 1, character: before.at(-1).length };
}

const hoverText = (h) => {
  const c = h?.contents;
  if (!c) return "";
  if (typeof c === "string") return c;
  if (Array.isArray(c)) return c.map((x) => (typeof x === "string" ? x : x.value)).join("\n");
  return c.value ?? "";
};
const labelText = (l) => (typeof l === "string" ? l : l.map((p) => p.value).join(""));

test("the Neural language server over stdio, per the extension's contract", { timeout: 5 * TIMEOUT }, async (t) => {
  assert.ok(fs.existsSync(PYTHON) || !PYTHON.includes("/"), `no interpreter at ${PYTHON}: set NEURAL_PYTHON`);
  const settings = { current: { inlayHints: { shapes: true }, diagnostics: { level: "hint" } } };
  const s = startServer(settings);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neural-wire-"));
  const bad = copyFixture(dir, "with-error.neural");
  const good = copyFixture(dir, "mnist.neural");
  const hpo = copyFixture(dir, "hpo.neural");
  let shapeHintLabels = [];
  try {
    const init = await Promise.race([
      s.conn.sendRequest(rpc.InitializeRequest.type, {
        processId: process.pid,
        rootUri: pathToFileURL(dir).href,
        workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "wire" }],
        capabilities: CLIENT_CAPABILITIES,
        clientInfo: { name: "neural-wire-test" },
      }),
      s.exited.then(({ code }) => {
        throw new Error(`server exited (${code}) before answering initialize:\n${s.stderr()}`);
      }),
    ]);
    await s.conn.sendNotification(rpc.InitializedNotification.type, {});
    const caps = init.capabilities;

    await t.test("initialize: the capabilities the extension relies on", () => {
      assert.ok(caps.hoverProvider, "hover");
      assert.ok(caps.inlayHintProvider, "inlay hints");
      assert.ok(caps.codeLensProvider, "code lenses");
      assert.ok(caps.codeActionProvider, "code actions");
      const cmds = caps.executeCommandProvider?.commands ?? [];
      for (const c of ["neural.server.runHpo", "neural.server.compile", "neural.server.train"]) assert.ok(cmds.includes(c), `executeCommand ${c} in ${cmds}`);
    });

    await s.conn.sendNotification(rpc.DidOpenTextDocumentNotification.type, { textDocument: { uri: bad.uri, languageId: "neural", version: 1, text: bad.text } });
    for (const d of [good, hpo]) {
      await s.conn.sendNotification(rpc.DidOpenTextDocumentNotification.type, { textDocument: { uri: d.uri, languageId: "neural", version: 1, text: d.text } });
    }

    await t.test("diagnostics: Dropout(1.5) is an error on its own line", async () => {
      const p = await s.waitFor("diagnostics for with-error.neural", () => s.seen.diagnostics.findLast((d) => d.uri === bad.uri && d.diagnostics.length));
      const line = positionOf(bad.text, "Dropout(1.5)").line;
      const err = p.diagnostics.find((d) => d.severity === rpc.DiagnosticSeverity.Error && d.range.start.line === line);
      assert.ok(err, `no error on line ${line}: ${JSON.stringify(p.diagnostics)}`);
      assert.ok(err.range.end.character > err.range.start.character, "a real range, not a point");
    });

    await t.test("diagnostics: the valid program has no errors", async () => {
      const p = await s.waitFor("diagnostics for mnist.neural", () => s.seen.diagnostics.findLast((d) => d.uri === good.uri));
      assert.deepEqual(p.diagnostics.filter((d) => d.severity === rpc.DiagnosticSeverity.Error), []);
    });

    await t.test("hover on a layer name shows its canonical name", async () => {
      const h = await s.conn.sendRequest(rpc.HoverRequest.type, { textDocument: { uri: good.uri }, position: positionOf(good.text, "Conv2D", 2) });
      assert.match(hoverText(h), /Conv2D/);
    });

    await t.test("inlay hints show shapes", async () => {
      const lines = good.text.split("\n").length;
      const hints = await s.conn.sendRequest(rpc.InlayHintRequest.type, { textDocument: { uri: good.uri }, range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } } });
      assert.ok(hints?.length > 0, "no inlay hints");
      shapeHintLabels = hints.map((h) => labelText(h.label));
      assert.ok(shapeHintLabels.some((l) => /\d/.test(l)), `no shape among ${JSON.stringify(shapeHintLabels)}`);
    });

    await t.test("code lenses above each network call the server commands", async () => {
      for (const [doc, name, expected] of [
        [good, "TinyMnist", ["neural.server.compile", "neural.server.train"]],
        [hpo, "TinySearch", ["neural.server.runHpo", "neural.server.compile"]],
      ]) {
        const lenses = await s.conn.sendRequest(rpc.CodeLensRequest.type, { textDocument: { uri: doc.uri } });
        const resolved = await Promise.all((lenses ?? []).map((l) => (l.command ? l : s.conn.sendRequest(rpc.CodeLensResolveRequest.type, l))));
        const cmds = resolved.map((l) => l.command?.command);
        for (const c of expected) assert.ok(cmds.includes(c), `${name}: lens commands ${cmds}`);
        const netLine = positionOf(doc.text, `network ${name}`).line;
        assert.ok(resolved.every((l) => l.range.start.line === netLine), `${name}: lenses sit on the network line`);
        const compile = resolved.find((l) => l.command.command === "neural.server.compile");
        assert.equal(compile.command.arguments[0], doc.uri, "lens arguments start with the document uri, as the palette commands do");
      }
    });

    await t.test("neural/networkShape: network and the layer under the cursor", async () => {
      const r = await s.conn.sendRequest("neural/networkShape", { uri: good.uri, position: positionOf(good.text, "Flatten()", 1) });
      assert.equal(r.network, "TinyMnist");
      assert.match(r.input, /28/);
      assert.match(r.output, /10/);
      assert.match(r.layer, /Flatten/i);
      assert.match(r.layer_output, /\d/);
      const outside = await s.conn.sendRequest("neural/networkShape", { uri: good.uri, position: { line: 0, character: 0 } });
      assert.ok(outside === null || outside.layer === null, "a comment line is no layer");
    });

    await t.test("command neural.server.compile writes PyTorch code beside the source and asks to show it", async () => {
      const before = s.seen.showDocument.length;
      const r = await s.conn.sendRequest(rpc.ExecuteCommandRequest.type, { command: "neural.server.compile", arguments: [good.uri, "pytorch", null] });
      assert.equal(typeof r.path, "string");
      assert.equal(path.dirname(r.path), dir, "beside the source");
      assert.match(fs.readFileSync(r.path, "utf8"), /torch/);
      const shown = await s.waitFor("window/showDocument", () => s.seen.showDocument.slice(before).find((p) => fileURLToPath(p.uri) === r.path));
      assert.ok(shown);
    });

    await t.test("settings: diagnostics.level=error and inlayHints.shapes=false are honoured", async () => {
      settings.current = { inlayHints: { shapes: false }, diagnostics: { level: "error" } };
      const configBefore = s.seen.configRequests.length;
      await s.conn.sendNotification(rpc.DidChangeConfigurationNotification.type, { settings: { neural: settings.current } });
      // The server reads the new values with workspace/configuration; give it the chance first.
      await s.waitFor("workspace/configuration", () => s.seen.configRequests.length > configBefore, 3000).catch(() => {});
      await s.conn.sendNotification(rpc.DidChangeTextDocumentNotification.type, { textDocument: { uri: bad.uri, version: 2 }, contentChanges: [{ text: bad.text }] });
      const p = await s.waitFor("diagnostics for version 2", () => s.seen.diagnostics.findLast((d) => d.uri === bad.uri && d.version === 2));
      assert.ok(p.diagnostics.length > 0, "the error is still reported");
      assert.deepEqual(p.diagnostics.filter((d) => d.severity !== rpc.DiagnosticSeverity.Error), [], "nothing below error");
      const lines = good.text.split("\n").length;
      const hints = await s.conn.sendRequest(rpc.InlayHintRequest.type, { textDocument: { uri: good.uri }, range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } } });
      const off = (hints ?? []).map((h) => labelText(h.label));
      assert.ok(off.length < shapeHintLabels.length, `fewer hints with shapes off: ${JSON.stringify(off)} vs ${JSON.stringify(shapeHintLabels)}`);
      assert.ok(off.every((l) => shapeHintLabels.includes(l)), "no new hints appear");
    });

    await t.test("command neural.server.runHpo reports progress on our token and stops on cancel", { skip: process.env.NEURAL_WIRE_HPO !== "1" && "set NEURAL_WIRE_HPO=1 (trains models)" }, async () => {
      const pending = s.conn.sendRequest(rpc.ExecuteCommandRequest.type, { command: "neural.server.runHpo", arguments: [hpo.uri, null, 50], workDoneToken: "wire-hpo" });
      await s.waitFor("a $/progress report", () => s.seen.progress.find((v) => v.kind === "report"), 10 * TIMEOUT);
      assert.equal(s.seen.progress[0].kind, "begin");
      await s.conn.sendNotification(rpc.WorkDoneProgressCancelNotification.type, { token: "wire-hpo" });
      const r = await pending;
      assert.ok(r.trials < 50, `cancel stopped the search (ran ${r.trials} trials)`);
      assert.equal(typeof r.best_value, "number");
      assert.match(r.optimized_text, /network TinySearch/);
      assert.doesNotMatch(r.optimized_text, /HPO\(/, "the optimized program has the chosen values");
      assert.ok(s.seen.progress.some((v) => v.kind === "end"), "progress ended");
    });

    await s.conn.sendRequest(rpc.ShutdownRequest.type);
    await s.conn.sendNotification(rpc.ExitNotification.type);
    const { code } = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r({ code: "timeout" }), 5000).unref())]);
    assert.equal(code, 0, `exit code after shutdown/exit; stderr:\n${s.stderr()}`);
  } finally {
    s.conn.dispose();
    if (s.proc.exitCode === null) s.proc.kill();
  }
});
