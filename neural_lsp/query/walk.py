"""Walks over the compiler's syntax tree (`compiler.syntax`): which calls are layers,
which are macro uses, every value. Reading the tree only; nothing is re-parsed."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.checks import macro_for
from compiler.syntax import (
    HPO,
    Branch,
    Call,
    Define,
    DictV,
    File,
    LayerStmt,
    ListV,
    Network,
    TupleV,
)


def children(v) -> Iterator:
    """The values directly inside a value."""
    if isinstance(v, (TupleV, ListV)):
        yield from v.items
    elif isinstance(v, DictV):
        for _k, _s, _e, x in v.items:
            yield x
    elif isinstance(v, (Call, HPO)):
        for a in v.args or ():
            yield a.value


def values(v) -> Iterator:
    """A value and everything inside it, depth first (not a Call's block)."""
    yield v
    for c in children(v):
        yield from values(c)


def stmts(body: list[LayerStmt] | None, depth: int = 0) -> Iterator[tuple[LayerStmt, int]]:
    """Layer statements of a layer list, nested blocks included, with their depth."""
    for st in body or ():
        yield st, depth
        e = st.expr
        if isinstance(e, (Call, Branch)) and e.block:
            yield from stmts(e.block, depth + 1)


def layer_calls(stmt: LayerStmt) -> Iterator[Call]:
    """Calls in layer position in one statement (not its block): the layer itself, a
    wrapped layer (`TimeDistributed(Dense(10))`), the options of an HPO layer choice."""
    e = stmt.expr
    if isinstance(e, Call):
        yield from _layer_calls_in(e)
    elif isinstance(e, HPO):
        for a in e.args:
            for v in values(a.value):
                if isinstance(v, Call):
                    yield from _layer_calls_in(v)
                    break


def _layer_calls_in(call: Call) -> Iterator[Call]:
    yield call
    for a in call.args or ():
        for v in values(a.value):
            if isinstance(v, Call):
                yield v


def all_stmts(tree: File) -> Iterator[tuple[LayerStmt, Network | Define]]:
    for d in tree.defines:
        for st, _ in stmts(d.body):
            yield st, d
    for n in tree.networks:
        for st, _ in stmts(n.layers):
            yield st, n


def macro_names(tree: File) -> dict[str, str]:
    """Names a call may use to mean each macro, as `checks.build_layer` resolves them:
    the exact name, or any spelling of it when no built-in layer has that name."""
    out: dict[str, str] = {}
    for d in tree.defines:
        if d.name:
            out.setdefault(d.name, d.name)
    return out


def macro_of(name: str, macros: dict[str, str]) -> str | None:
    """The macro a call named `name` expands, or None for a layer (the compiler's rule)."""
    real = macro_for(name, macros)
    return None if real is None else macros[real]


def macro_uses(tree: File) -> Iterator[tuple[Call, str]]:
    """Every call that uses a macro, with the macro's name."""
    macros = macro_names(tree)
    if not macros:
        return
    for st, _owner in all_stmts(tree):
        for call in layer_calls(st):
            m = macro_of(call.name, macros)
            if m is not None:
                yield call, m


def define_named(tree: File, name: str) -> Define | None:
    return next((d for d in tree.defines if d.name == name), None)


def owner_at(tree: File, offset: int) -> Network | Define | None:
    """The network or define whose text holds `offset`."""
    for n in (*tree.networks, *tree.defines):
        if n.start <= offset <= n.end:
            return n
    return None
