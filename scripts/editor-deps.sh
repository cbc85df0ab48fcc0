#!/usr/bin/env bash
# Install the editors the editor tests (tests/editors) drive: Debian's Neovim and Emacs with
# eglot, so docs/editors.md's configurations are run by real clients. Idempotent: installs only
# what is missing, and prints the versions it found.
# Usage: scripts/editor-deps.sh        (root, or a user with sudo)
set -euo pipefail

packages=(neovim emacs-nox elpa-eglot)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "editor-deps: no apt-get here; install ${missing[*]} yourself (the editor tests skip without them)" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "editor-deps: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "editor-deps: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

echo "editor-deps: $(nvim --version | head -1); $(emacs --version | head -1) with eglot $(dpkg-query -W -f='${Version}' elpa-eglot)"
