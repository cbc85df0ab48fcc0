#!/usr/bin/env bash
# Install the Debian packages of a list that are not installed yet (one home for the apt logic
# of browser-deps.sh and editor-deps.sh). Idempotent; as root, or through sudo.
# Usage: scripts/apt-missing.sh NAME "WITHOUT-APT HINT" PACKAGE...
#   NAME prefixes every message; the hint is printed when there is no apt-get.
set -euo pipefail

name="$1" hint="$2"
shift 2
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "$name: no apt-get here; $hint" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "$name: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "$name: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
