"""Go to definition, find references and rename, for macros (`define Name { ... }`)."""

from __future__ import annotations

from compiler.layers import lookup
from compiler.lexer import tokenize
from neural_lsp.core.convert import Edit
from neural_lsp.core.documents import Snapshot
from neural_lsp.query import locate, walk


class RenameError(ValueError):
    """A new name the program cannot take; the message says why."""


def macro_at(snap: Snapshot, offset: int) -> tuple[str, int, int] | None:
    """(macro name, start, end of the name under the cursor) on a definition or a use."""
    for probe in (offset, offset - 1):
        for d in snap.analysis.tree.defines:
            if d.name and d.name_start <= probe < d.name_end:
                return d.name, d.name_start, d.name_end
        for call, name in locate.macro_uses(snap):
            if call.name_start <= probe < call.name_end:
                return name, call.name_start, call.name_end
    return None


def definition(snap: Snapshot, offset: int) -> tuple[int, int] | None:
    """The span of the name in the definition of the macro under the cursor."""
    got = macro_at(snap, offset)
    if got is None:
        return None
    d = walk.define_named(snap.analysis.tree, got[0])
    if d is None:
        return None
    return d.name_start, d.name_end


def spans(snap: Snapshot, name: str, declaration: bool = True) -> list[tuple[int, int]]:
    out = []
    if declaration:
        out += [(d.name_start, d.name_end) for d in snap.analysis.tree.defines if d.name == name]
    out += [(c.name_start, c.name_end) for c, m in locate.macro_uses(snap) if m == name]
    return sorted(out)


def references(snap: Snapshot, offset: int, declaration: bool) -> list[tuple[int, int]]:
    got = macro_at(snap, offset)
    if got is None:
        return []
    return spans(snap, got[0], declaration)


def prepare(snap: Snapshot, offset: int) -> tuple[str, int, int] | None:
    return macro_at(snap, offset)


def check_name(snap: Snapshot, old: str, new: str) -> None:
    toks = tokenize(new)
    if toks.kinds != ["name", "eof"] or toks.texts[0] != new or toks.diagnostics:
        raise RenameError(f"'{new}' is not a name: use letters, digits and _, not starting "
                          "with a digit")
    if new.lower() in ("network", "define", "hpo", "true", "false", "none", "null"):
        raise RenameError(f"'{new}' is a keyword of the language")
    if lookup(new) is not None:
        raise RenameError(f"'{new}' is a built-in layer; a macro of that name would hide it")
    if new != old and any(d.name == new for d in snap.analysis.tree.defines):
        raise RenameError(f"a macro named '{new}' already exists")


def rename_edits(snap: Snapshot, offset: int, new: str) -> list[Edit] | None:
    got = macro_at(snap, offset)
    if got is None:
        return None
    old = got[0]
    check_name(snap, old, new)
    return [(s, e, new) for s, e in spans(snap, old, True)]
