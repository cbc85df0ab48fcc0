#!/usr/bin/env bash
# Install the toolchain into ./.venv from this repo's own files.
# Usage: scripts/install.sh [EXTRAS]   (default EXTRAS: all,dev; "base" for the compiler only)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-all,dev}"
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "$extras" = "base" ]; then
  .venv/bin/python -m pip install -q -e .
else
  .venv/bin/python -m pip install -q -e ".[$extras]"
fi
# Real Fashion-MNIST comes from Debian's package (nothing is downloaded at run time).
if [[ "$extras" == *all* ]] && ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) \
      >/dev/null 2>&1 || echo "note: could not install dataset-fashion-mnist; fashion_mnist will be unavailable" >&2
  fi
fi
echo "installed into .venv (extras: $extras)"
