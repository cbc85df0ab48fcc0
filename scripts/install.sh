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
# Debian packages: real Fashion-MNIST (nothing is downloaded at run time) and, for the
# tests, PostgreSQL (a multi-worker study runs against a real server the tests start).
apt_want=()
if [[ "$extras" == *all* || "$extras" == *full* ]]; then
  dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || apt_want+=(dataset-fashion-mnist)
fi
if [[ "$extras" == *dev* ]]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_want+=(postgresql)
fi
if [ ${#apt_want[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_want[@]}") \
      >/dev/null 2>&1 || echo "note: could not install ${apt_want[*]} with apt-get" >&2
  else
    echo "note: not root: install ${apt_want[*]} with your package manager" >&2
  fi
fi
echo "installed into .venv (extras: $extras)"
