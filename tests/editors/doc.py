"""The editor configurations docs/editors.md shows, read from the doc itself: the tests run
exactly what a reader copies, so the doc cannot drift from what works."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "editors.md"
# The program every editor opens: one error (Dropout's rate), layers with known shapes.
PROGRAM = ROOT / "vscode-extension" / "test" / "fixtures" / "with-error.neural"
_BLOCK = re.compile(r"<!-- editors-test: (?P<name>[\w-]+) -->\s*```\w*\n(?P<body>.*?)^```", re.S | re.M)


def doc_block(name: str) -> str:
    """The code block after `<!-- editors-test: NAME -->` in docs/editors.md."""
    blocks = {m["name"]: m["body"] for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))}
    assert name in blocks, f"docs/editors.md has no block marked 'editors-test: {name}' (has {sorted(blocks)})"
    return blocks[name]


def server_path() -> str:
    """PATH with this interpreter's scripts first, so the doc's bare `neural-lsp` is the one
    under test (the package installed in this environment)."""
    bindir = Path(sys.executable).parent
    assert (bindir / "neural-lsp").exists(), f"no neural-lsp beside {sys.executable}: pip install -e ."
    return f"{bindir}:{Path('/usr/bin')}:{Path('/bin')}"


def editor(name: str) -> str | None:
    return shutil.which(name)
