#!/usr/bin/env bash
# Install the editors the editor tests (tests/editors) drive: Debian's Neovim and Emacs with
# eglot, so docs/editors.md's configurations are run by real clients. Idempotent: installs only
# what is missing, and prints the versions it found.
# Usage: scripts/editor-deps.sh        (root, or a user with sudo)
set -euo pipefail

bash "$(dirname "$0")/apt-missing.sh" editor-deps "install Neovim and Emacs with eglot yourself (the editor tests skip without them)" \
  neovim emacs-nox elpa-eglot

echo "editor-deps: $(nvim --version | head -1); $(emacs --version | head -1) with eglot $(dpkg-query -W -f='${Version}' elpa-eglot)"
