#!/usr/bin/env bash
# Install everything from the repo's own files, then run every check and test
# (pytest last: its summary is the run's closing line).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh all,dev
echo "== browser for the web UI tests"
bash scripts/browser-deps.sh
echo "== editors for tests/editors (Debian's Neovim and Emacs with eglot)"
bash scripts/editor-deps.sh
echo "== ruff"
.venv/bin/ruff check .
echo "== vscode-extension: npm ci && npm test, the wire protocol against the real server, VS Code end to end"
(cd vscode-extension && npm ci --no-audit --no-fund --loglevel=error && npm test && npm run test:wire \
   && npm run test:e2e)
echo "== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
