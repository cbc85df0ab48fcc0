// A stand-in for the `vscode` module, enough to load the bundled extension and run activate()
// outside VS Code. Records what the extension registers and says. Members it does not define
// resolve to an inert stub (callable, constructible, disposable, never a thenable).
const Module = require("node:module");
const { EventEmitter: NodeEmitter } = require("node:events");

function makeStub() {
  const target = function () {};
  const stub = new Proxy(target, {
    get(_, k) {
      if (k === "then") return undefined;
      if (k === Symbol.toPrimitive) return () => "";
      if (k === Symbol.iterator) return function* () {};
      if (k === "prototype") return target.prototype;
      return stub;
    },
    apply: () => stub,
    construct: () => stub,
  });
  return stub;
}
const STUB = makeStub();

function namespace(obj) {
  return new Proxy(obj, { get: (t, k) => (k in t ? t[k] : STUB) });
}

class EventEmitter {
  constructor() {
    this.e = new NodeEmitter();
    this.event = (fn) => {
      this.e.on("x", fn);
      return { dispose: () => this.e.off("x", fn) };
    };
  }
  fire(v) {
    this.e.emit("x", v);
  }
  dispose() {
    this.e.removeAllListeners();
  }
}
const noEvent = () => ({ dispose() {} });

function createFakeVscode({ settings = {}, workspaceFolder, errorChoice, warningChoice, pythonApi } = {}) {
  const rec = { registered: [], handlers: {}, errors: [], infos: [], warnings: [], progress: [], terminals: [], logs: [], statusItems: [], executed: [], configChange: new EventEmitter() };
  const channel = (name) =>
    namespace({
      name,
      logLevel: 2,
      onDidChangeLogLevel: noEvent,
      appendLine: (l) => rec.logs.push(`[${name}] ${l}`),
      append: (l) => rec.logs.push(`[${name}] ${l}`),
      info: (l) => rec.logs.push(`[${name}] info ${l}`),
      warn: (l) => rec.logs.push(`[${name}] warn ${l}`),
      error: (l) => rec.logs.push(`[${name}] error ${l}`),
      debug: () => {},
      trace: () => {},
      show: () => {},
      clear: () => {},
      dispose: () => {},
    });
  const vscode = namespace({
    version: "1.139.1",
    EventEmitter,
    Disposable: class {
      constructor(f) {
        this.f = f;
      }
      dispose() {
        this.f?.();
      }
      static from(...d) {
        return { dispose: () => d.forEach((x) => x.dispose()) };
      }
    },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ThemeColor: class {
      constructor(id) {
        this.id = id;
      }
    },
    commands: namespace({
      registerCommand: (id, fn) => {
        rec.registered.push(id);
        rec.handlers[id] = fn;
        return { dispose() {} };
      },
      executeCommand: async (...args) => {
        rec.executed.push(args);
      },
    }),
    window: namespace({
      activeTextEditor: undefined,
      visibleTextEditors: [],
      terminals: [],
      createOutputChannel: (name) => channel(name),
      createStatusBarItem: (id) => {
        const item = { id, text: "", tooltip: "", command: undefined, visible: false, show() { this.visible = true; }, hide() { this.visible = false; }, dispose() {} };
        rec.statusItems.push(item);
        return item;
      },
      showErrorMessage: async (msg, ...items) => {
        rec.errors.push({ msg, items });
        return errorChoice;
      },
      showInformationMessage: async (msg) => {
        rec.infos.push(msg);
      },
      showWarningMessage: async (msg, ...items) => {
        rec.warnings.push({ msg, items });
        return warningChoice;
      },
      withProgress: async (options, task) => {
        const entry = { title: options.title, reports: [] };
        rec.progress.push(entry);
        return task({ report: (v) => entry.reports.push(v) }, { isCancellationRequested: false, onCancellationRequested: noEvent });
      },
      createTerminal: (options) => {
        rec.terminals.push(options);
        return { show() {}, dispose() {} };
      },
      onDidChangeActiveTextEditor: noEvent,
      onDidChangeTextEditorSelection: noEvent,
      onDidChangeVisibleTextEditors: noEvent,
      onDidChangeWindowState: noEvent,
    }),
    // The Python extension (ms-python.python) is "installed" when the test passes its API.
    extensions: namespace({
      getExtension: (id) => (id === "ms-python.python" && pythonApi ? { id, isActive: true, exports: pythonApi, activate: async () => pythonApi } : undefined),
    }),
    workspace: namespace({
      workspaceFolders: workspaceFolder ? [{ uri: { fsPath: workspaceFolder, scheme: "file", toString: () => `file://${workspaceFolder}` }, name: "ws", index: 0 }] : undefined,
      textDocuments: [],
      getConfiguration: (section) =>
        namespace({
          get: (key, dflt) => {
            const full = section ? `${section}.${key}` : key;
            return full in settings ? settings[full] : dflt;
          },
          has: (key) => key in settings,
        }),
      onDidChangeConfiguration: (fn) => rec.configChange.event(fn),
      onDidOpenTextDocument: noEvent,
      onDidCloseTextDocument: noEvent,
      onDidChangeTextDocument: noEvent,
      onDidSaveTextDocument: noEvent,
      onWillSaveTextDocument: noEvent,
      onDidChangeWorkspaceFolders: noEvent,
    }),
  });
  return { vscode, rec };
}

/** Loads `file` with `require("vscode")` answered by `fake`; returns its exports. */
function loadWithFake(file, fake) {
  const origLoad = Module._load;
  Module._load = function (request, parent, isMain) {
    if (request === "vscode") return fake;
    return origLoad.call(this, request, parent, isMain);
  };
  try {
    delete require.cache[require.resolve(file)];
    return require(file);
  } finally {
    Module._load = origLoad;
  }
}

module.exports = { createFakeVscode, loadWithFake };
