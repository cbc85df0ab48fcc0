"""Reading .neural files for the CLI: every way a path can be wrong is one clear message."""

from __future__ import annotations

from pathlib import Path

from runner.cli.errors import CLIError


def read_source(path: str) -> str:
    p = Path(path)
    if not p.exists():
        raise CLIError(f"{path}: no such file")
    if p.is_dir():
        raise CLIError(f"{path}: is a directory, not a .neural file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CLIError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CLIError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise CLIError(f"{path}: the file is empty")
    return text
