#!/usr/bin/env bash
# Install everything from the repo's own files, then run every check and test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh all,dev
echo "== ruff"
.venv/bin/ruff check .
echo "== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
