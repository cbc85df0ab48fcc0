"""Moving the character offsets of syntax nodes: after an edit (compiler.incremental) and for
a subtree parsed from inside a string (compiler.checks). One table of which fields hold
offsets and which hold children serves every node class.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from compiler.syntax import (
    HPO,
    Arg,
    Branch,
    Call,
    Comment,
    Const,
    Define,
    DictV,
    Entry,
    Ident,
    LayerStmt,
    ListV,
    Network,
    Num,
    Section,
    Str,
    TupleV,
)


def _offset_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name in ("start", "end")
                 or f.name.endswith("_start") or f.name.endswith("_end"))


# Which fields of each syntax node hold offsets, and which hold child nodes.
OFFSETS = {cls: _offset_fields(cls) for cls in (
    Num, Str, Const, Ident, TupleV, ListV, DictV, Arg, Call, HPO, Branch, LayerStmt, Entry,
    Section, Network, Define, Comment)}
_CHILDREN: dict[type, tuple[str, ...]] = {
    TupleV: ("items",), ListV: ("items",), Arg: ("value",), Call: ("args", "block"),
    HPO: ("args",), Branch: ("block",), LayerStmt: ("expr", "repeat", "device"),
    Entry: ("value",), Define: ("body",),
    Network: ("sections", "inputs", "layers", "loss", "optimizer", "metrics", "train",
              "execute", "unknown"),
}
_LIST_CHILDREN = {"items", "args", "block", "body", "sections", "inputs", "layers", "train",
                  "execute", "unknown"}


def _noop(*_args: Any) -> None:
    return None


class _Table(dict):
    """Shifter by node class; anything else is left alone."""

    def __missing__(self, key: type):
        return _noop


def _compile(cls: type):
    """A straight-line function moving one syntax node's offsets, then its children's: the
    tree after an edit holds tens of thousands of offsets, a generic loop is 3x slower."""
    lines = ["def shift(n, at, d, oe, ne, rs, S):", "    if n.end < rs:", "        return"]
    for f in OFFSETS[cls]:
        lines += [f"    v = n.{f}", "    if v == oe:", f"        n.{f} = ne",
                  "    elif v >= at:", f"        n.{f} = v + d"]
    if cls is DictV:
        lines += ["    n.items = [(k, ne if s == oe else s + d if s >= at else s,"
                  " ne if e == oe else e + d if e >= at else e, v) for k, s, e, v in n.items]",
                  "    for item in n.items:",
                  "        S[type(item[3])](item[3], at, d, oe, ne, rs, S)"]
    if cls is Network:
        lines += ["    if n.layers_key is not None:",
                  "        n.layers_key = tuple(ne if v == oe else v + d if v >= at else v"
                  " for v in n.layers_key)"]
    for f in _CHILDREN.get(cls, ()):
        if f in _LIST_CHILDREN:
            lines += [f"    c = n.{f}", "    if c:", "        for y in c:",
                      "            S[type(y)](y, at, d, oe, ne, rs, S)"]
        else:
            lines += [f"    c = n.{f}", "    if c is not None:",
                      "        S[type(c)](c, at, d, oe, ne, rs, S)"]
    scope: dict[str, Any] = {}
    exec("\n".join(lines), scope)  # the source is built from the field names above
    return scope["shift"]


_SHIFTERS = _Table({cls: _compile(cls) for cls in OFFSETS})


def shift(nodes: Any, at: int, delta: int, rs: int = 0, old_end: int = -2,
          new_end: int = -2) -> None:
    """Move by `delta` every offset at or after `at` in syntax nodes (one or a list) and their
    children; an offset equal to `old_end` becomes `new_end` instead, and subtrees ending
    before `rs` are skipped. -1 (no such part, e.g. no parentheses) never moves."""
    args = (at, delta, old_end, new_end, rs, _SHIFTERS)
    for x in nodes if type(nodes) is list else (nodes,):
        _SHIFTERS[type(x)](x, *args)


class ShiftLog:
    """Offset moves not yet applied to the layer statements of networks' `layers:` lists.

    An edit moves every offset after it; moving them all at once costs a walk over every node
    after the edit (tens of milliseconds at 10,000 layers), on the path of the next request.
    Instead each edit appends (at, delta) here and a statement takes the moves it has not
    taken yet when it is read through its `StmtList` (in time of its own size): a statement
    records how many entries it has taken (`LayerStmt.epoch`). Entries are in the order of
    the edits, each in the coordinates of the text it was made on, as is a statement that has
    taken the entries before it.
    """

    __slots__ = ("entries", "base")

    def __init__(self) -> None:
        self.entries: list[tuple[int, int]] = []
        self.base = 0  # entries before this many were applied to every statement and dropped

    @property
    def epoch(self) -> int:
        """The epoch of a statement that has taken every entry (one parsed from the text now)."""
        return self.base + len(self.entries)

    def add(self, at: int, delta: int) -> None:
        """Offsets at or after `at` move by `delta` (statements wholly before it do not move)."""
        if delta:
            self.entries.append((at, delta))

    def take(self, st: LayerStmt) -> None:
        """Apply to one top-level statement the entries it has not taken: it lies wholly before
        or wholly after each edit, so its whole subtree moves by one sum."""
        es = self.entries
        k = st.epoch - self.base
        if k >= len(es):
            return
        d = 0
        s = st.start
        for i in range(k, len(es)):
            at, delta = es[i]
            if s + d >= at:
                d += delta
        if d:
            _SHIFT_STMT(st, 0, d, -2, -2, 0, _SHIFTERS)
        st.epoch = self.base + len(es)

    def settle(self, lists: list[StmtList]) -> None:
        """Apply every entry to every statement of `lists` (all those the entries concern)."""
        if not self.entries:
            return
        take = self.take
        for lst in lists:
            for st in list.__iter__(lst):
                take(st)
        self.base += len(self.entries)
        self.entries = []


_SHIFT_STMT = _SHIFTERS[LayerStmt]


class StmtList(list):
    """A network's top-level layer statements: reading one (by index, slice, iteration or
    bisection) first applies the offset moves it has pending in the `ShiftLog`."""

    __slots__ = ("log",)

    def __init__(self, items: Any = (), log: ShiftLog | None = None) -> None:
        super().__init__(items)
        self.log = log if log is not None else ShiftLog()

    def __getitem__(self, i: Any) -> Any:
        got = list.__getitem__(self, i)
        log = self.log
        if log.entries:
            if type(i) is slice:
                for st in got:
                    log.take(st)
            else:
                log.take(got)
        return got

    def __iter__(self) -> Any:
        if not self.log.entries:
            return list.__iter__(self)
        return self._taking(list.__iter__(self))

    def __reversed__(self) -> Any:
        if not self.log.entries:
            return list.__reversed__(self)
        return self._taking(list.__reversed__(self))

    def _taking(self, it: Any) -> Any:
        take = self.log.take
        for st in it:
            take(st)
            yield st

    def copy(self) -> list:
        return list(self)

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    __hash__ = None  # type: ignore[assignment]
