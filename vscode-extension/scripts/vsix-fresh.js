// Exit 0 when neural-lang.vsix is newer than everything it is built from (the extension's
// sources and manifest, and the server it bundles), so `npm run test:e2e` right after
// `npm test` does not build and bundle it a second time; exit 1 otherwise.
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const vsix = path.join(root, "neural-lang.vsix");
const inputs = ["package.json", "src", "syntaxes", "snippets", "language-configuration.json", "bundled/tool", "scripts/bundle-python.py", "../compiler", "../neural_lsp", "../pyproject.toml"];

function newest(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const e of fs.readdirSync(p)) if (e !== "__pycache__") t = Math.max(t, newest(path.join(p, e)));
  return t;
}

if (!fs.existsSync(vsix)) process.exit(1);
const built = fs.statSync(vsix).mtimeMs;
const stale = inputs.map((i) => path.join(root, i)).filter((p) => fs.existsSync(p) && newest(p) > built);
if (stale.length) {
  console.error(`neural-lang.vsix is older than ${stale.map((p) => path.relative(root, p)).join(", ")}: packaging again`);
  process.exit(1);
}
console.error("neural-lang.vsix is up to date");
