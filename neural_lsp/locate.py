"""What is at an offset: indexes over one analysis, built once per snapshot on demand.

Intervals are kept sorted by start with a running maximum of ends, so the innermost
interval holding an offset is found by bisection and a short walk back (hover at
10,000 layers costs the same as at 100).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compiler.syntax import HPO, Call, LayerStmt
from neural_lsp import walk
from neural_lsp.documents import Snapshot


class Intervals:
    """[start, end) intervals that nest or are disjoint, each with a payload."""

    __slots__ = ("starts", "ends", "items", "reach")

    def __init__(self, items: list[tuple[int, int, Any]]) -> None:
        items.sort(key=lambda t: (t[0], -t[1]))
        self.starts = [s for s, _e, _x in items]
        self.ends = [e for _s, e, _x in items]
        self.items = [x for _s, _e, x in items]
        reach, top = [], -1
        for e in self.ends:
            top = max(top, e)
            reach.append(top)
        self.reach = reach

    def containing(self, offset: int, inclusive: bool = False) -> Iterator[Any]:
        """Payloads whose interval holds offset, innermost first."""
        i = bisect_right(self.starts, offset) - 1
        while i >= 0 and (self.reach[i] > offset or (inclusive and self.reach[i] >= offset)):
            e = self.ends[i]
            if e > offset or (inclusive and e >= offset):
                yield self.items[i]
            i -= 1

    def innermost(self, offset: int, inclusive: bool = False) -> Any | None:
        return next(self.containing(offset, inclusive), None)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(slots=True, eq=False)
class LayerAt:
    """One layer occurrence found by inference: its shapes and the network it is in."""

    shape: Any  # compiler.shapes.LayerShape
    network: Any  # compiler.model.NetworkIR
    shapes: Any  # compiler.shapes.NetworkShapes


def _cached(snap: Snapshot, key: str, build):
    got = snap.cache.get(key)
    if got is None:
        got = snap.cache[key] = build(snap)
    return got


def layer_index(snap: Snapshot) -> Intervals:
    """Every inferred layer occurrence by the range of the layer's own text."""

    def build(s: Snapshot) -> Intervals:
        items = []
        for ns in s.analysis.shapes:
            for ls in ns.layers:
                layer = ls.layer
                items.append((layer.start, layer.end, LayerAt(ls, ns.network, ns)))
        return Intervals(items)

    return _cached(snap, "layers", build)


def occurrences(snap: Snapshot, offset: int) -> list[LayerAt]:
    """The innermost layer text at offset, with every occurrence of it (macro uses,
    `* N` repetitions, networks that share a macro)."""
    idx = layer_index(snap)
    first = idx.innermost(offset)
    if first is None:
        return []
    s, e = first.shape.layer.start, first.shape.layer.end
    return [x for x in idx.containing(offset) if x.shape.layer.start == s and x.shape.layer.end == e]


def stmt_shapes(snap: Snapshot) -> dict[tuple[int, int], list]:
    """(id of the network, statement index) -> its layer occurrences."""

    def build(s: Snapshot) -> dict:
        out: dict[tuple[int, int], list] = {}
        for ns in s.analysis.shapes:
            for ls in ns.layers:
                out.setdefault((id(ns.network), ls.stmt_index), []).append(ls)
        return out

    return _cached(snap, "stmt_shapes", build)


def stmt_index(snap: Snapshot) -> Intervals:
    """Top-level layer statements of networks: (network, StmtIR)."""

    def build(s: Snapshot) -> Intervals:
        items = []
        for net in s.analysis.networks:
            for st in net.stmts:
                items.append((st.stmt.start, st.stmt.end, (net, st)))
        return Intervals(items)

    return _cached(snap, "stmts", build)


def hpo_index(snap: Snapshot) -> Intervals:
    """Every HPO parameter of every network's space (a macro's once)."""

    def build(s: Snapshot) -> Intervals:
        seen: dict[int, tuple] = {}
        for net in s.analysis.networks:
            for p in net.space or ():
                if id(p) in seen:
                    seen[id(p)][2][1].append(net)
                else:
                    seen[id(p)] = (p.node.start, p.node.end, (p, [net]))
        return Intervals(list(seen.values()))

    return _cached(snap, "hpo", build)


def syntax_index(snap: Snapshot) -> Intervals:
    """Every layer statement and every call in layer position, from the tree."""

    def build(s: Snapshot) -> Intervals:
        items: list[tuple[int, int, Any]] = []
        for st, owner in walk.all_stmts(s.analysis.tree):
            items.append((st.start, max(st.end, st.start + 1), (st, owner)))
            for call in walk.layer_calls(st):
                if call is not st.expr:
                    items.append((call.start, call.end, (call, owner)))
        return Intervals(items)

    return _cached(snap, "syntax", build)


def macro_uses(snap: Snapshot) -> list[tuple[Call, str]]:
    return _cached(snap, "macro_uses", lambda s: list(walk.macro_uses(s.analysis.tree)))


def hpo_at(snap: Snapshot, offset: int):
    """(HPOParam, networks using it) for the innermost HPO expression at offset."""
    return hpo_index(snap).innermost(offset)


def hpo_node_at(snap: Snapshot, offset: int) -> HPO | None:
    got = hpo_at(snap, offset)
    return got[0].node if got else None


def stmt_at(snap: Snapshot, offset: int) -> LayerStmt | None:
    for item, _owner in syntax_index(snap).containing(offset):
        if isinstance(item, LayerStmt):
            return item
    return None
