"""How a value appears in messages, hovers and signatures: as it is written in the DSL."""

from __future__ import annotations

from typing import Any


def show(v: Any) -> str:
    """`"relu"`, `true`, `none`, `64`, `(3, 3)`: quoted strings, DSL spellings of literals."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)
