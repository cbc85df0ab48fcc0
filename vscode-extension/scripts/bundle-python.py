"""Fills bundled/ for the .vsix: the language server (`compiler`, `neural_lsp`) copied from
this repository, and its pure-Python dependencies installed with `pip --target` at exactly the
versions installed in the interpreter running this script (the one the tests ran with).

It also builds this repository's own wheel into bundled/wheels/: "Create .venv" installs it
with the extras Train, Run HPO and the TUI need (the .vsix carries no ML framework).

Run with the repository's environment: `../.venv/bin/python scripts/bundle-python.py`
(`npm run package` does). Writes bundled/libs/ and bundled/requirements.txt; nothing is
compiled or platform-specific, so the same .vsix runs on any Python >= 3.11.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement

EXT = Path(__file__).resolve().parents[1]
REPO = EXT.parent
BUNDLED = EXT / "bundled"
LIBS = BUNDLED / "libs"
WHEELS = BUNDLED / "wheels"
DIST = "neural-dsl"
# The server's own code, copied from the repository (not from an installed copy).
PACKAGES = ("compiler", "neural_lsp")
# Left out of every copied tree: bytecode (built per interpreter), tests, console scripts.
PRUNE = ("__pycache__", "*.pyc", "tests", "test", "testing")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(dist: str = DIST) -> dict[str, str]:
    """`name -> version` for the base (no extras) requirements of `dist`, transitively, as
    installed here. A requirement whose marker is false here (e.g. `python_version < '3.11'`)
    is left out: the bundle needs Python >= 3.11 anyway."""
    out: dict[str, str] = {}
    todo = [dist]
    while todo:
        name = todo.pop()
        for spec in md.requires(name) or []:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            key = _norm(req.name)
            if key in out:
                continue
            try:
                out[key] = md.version(req.name)
            except md.PackageNotFoundError:
                sys.exit(f"bundle-python: {req.name} (needed by {name}) is not installed in {sys.executable}")
            todo.append(req.name)
    return dict(sorted(out.items()))


def main() -> int:
    if sys.version_info < (3, 11):
        sys.exit("bundle-python: run it with the repository's Python (3.11+)")
    versions = pins()
    shutil.rmtree(LIBS, ignore_errors=True)
    LIBS.mkdir(parents=True)
    reqs = BUNDLED / "requirements.txt"
    reqs.write_text("".join(f"{n}=={v}\n" for n, v in versions.items()))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--target", str(LIBS), "--no-deps", "--no-compile", "--implementation", "py",
         "--only-binary", ":all:", "-r", str(reqs)],
        check=True)
    for pkg in PACKAGES:
        shutil.copytree(REPO / pkg, LIBS / pkg, ignore=shutil.ignore_patterns(*PRUNE))
    shutil.rmtree(LIBS / "bin", ignore_errors=True)
    for pattern in PRUNE:
        for p in sorted(LIBS.rglob(pattern), reverse=True):
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    shutil.rmtree(WHEELS, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--wheel-dir", str(WHEELS), str(REPO)],
        check=True)
    print(f"bundled {', '.join(f'{n}=={v}' for n, v in versions.items())} and {', '.join(PACKAGES)} into {LIBS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
