"""Inlay hints: the output shape after each layer statement."""

from __future__ import annotations

from bisect import bisect_left

from lsprotocol import types

from compiler.shapes import total_params
from neural_lsp.core.convert import Hint
from neural_lsp.core.documents import Snapshot
from neural_lsp.query import describe, locate

TYPE = types.InlayHintKind.Type


def shape_hints(snap: Snapshot, start: int, end: int) -> list[Hint]:
    """One hint per top-level layer statement ending within [start, end]: the shapes its
    last layer can output (after a macro's expansion or `* N`, the last one); and one after
    each layer written inside a block."""
    out = []
    for net in snap.analysis.networks:
        stmts = net.stmts  # disjoint and in order: their ends are sorted too
        ns = snap.analysis.shapes_of(net)
        i = bisect_left(stmts, start, key=lambda s: s.stmt.end)
        while i < len(stmts) and stmts[i].stmt.start <= end:
            st = stmts[i]
            i += 1
            if ns is not None and st.index < len(ns.stmt_nested):
                out += _nested_hints(snap, ns.stmt_nested[st.index], start, end)
            if st.stmt.end > end:
                continue
            found = locate.stmt_shapes(snap, net, st.index)
            if not found or not found[-1].outputs:
                continue
            tip = f"{len(found)} layers; " if len(found) > 1 else ""
            out.append(_hint(st.stmt.end, found[-1].outputs,
                             tip + f"parameters: {describe.count(total_params(found))}"))
    return out


def _nested_hints(snap: Snapshot, nested: dict, start: int, end: int) -> list[Hint]:
    out = []
    for ls in nested.values():
        layer = ls.layer
        if layer.macro is not None or not start <= layer.end <= end or not ls.outputs:
            continue  # a macro's layers are written in its definition, not here
        out.append(_hint(layer.end, ls.outputs, f"parameters: {describe.count(ls.params)}"))
    out.sort(key=_at)
    return out


def _at(hint: Hint) -> int:
    return hint[0]


def _hint(at: int, outputs, tooltip: str) -> Hint:
    return at, "→ " + describe.shapes(outputs, limit=3), tooltip, TYPE
