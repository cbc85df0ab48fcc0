#!/usr/bin/env bash
# Install what the browser tests (tests/webui) need: Debian's Chromium and the fonts the
# screenshots are drawn with. Idempotent: installs only what is missing. Playwright (the
# `dev` extra) drives this Chromium through executable_path; `playwright install`, which
# downloads a browser, is never used. Chromium-driver is not needed (no Selenium).
# Usage: scripts/browser-deps.sh        (root, or a user with sudo)
set -euo pipefail

bash "$(dirname "$0")/apt-missing.sh" browser-deps "install Chromium yourself and point NEURAL_CHROMIUM at it" \
  chromium fonts-dejavu-core fonts-liberation

binary="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$binary" ]; then
  echo "browser-deps: chromium is installed but not on PATH" >&2
  exit 1
fi
# Prove it starts the way the tests start it (root: no sandbox; closed network: no
# background requests), on a fresh profile that is removed afterwards.
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
if ! timeout 60 "$binary" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --dump-dom 'data:text/html,<p id=ok>ok</p>' 2>/dev/null \
    | grep -q 'id="ok"'; then
  echo "browser-deps: $binary is installed but did not render a page headless" >&2
  exit 1
fi
echo "browser-deps: $("$binary" --version 2>/dev/null | head -1) at $binary renders headless"
