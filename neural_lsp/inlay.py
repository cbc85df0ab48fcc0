"""Inlay hints: the output shape after each layer statement."""

from __future__ import annotations

from bisect import bisect_left

from lsprotocol import types

from compiler.dims import add
from neural_lsp import describe, locate
from neural_lsp.documents import Snapshot


def shape_hints(snap: Snapshot, start: int, end: int) -> list[types.InlayHint]:
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
            total = 0
            for ls in found:
                total = add(total, ls.params)
            tip = f"{len(found)} layers; " if len(found) > 1 else ""
            out.append(types.InlayHint(
                position=snap.lines.position(st.stmt.end),
                label="→ " + describe.shapes(found[-1].outputs, limit=3),
                kind=types.InlayHintKind.Type,
                padding_left=True,
                tooltip=tip + f"parameters: {describe.count(total)}",
            ))
    return out


def _nested_hints(snap: Snapshot, nested: dict, start: int, end: int) -> list[types.InlayHint]:
    out = []
    for ls in nested.values():
        layer = ls.layer
        if layer.macro is not None or not start <= layer.end <= end or not ls.outputs:
            continue  # a macro's layers are written in its definition, not here
        out.append(types.InlayHint(
            position=snap.lines.position(layer.end),
            label="→ " + describe.shapes(ls.outputs, limit=3),
            kind=types.InlayHintKind.Type,
            padding_left=True,
            tooltip=f"parameters: {describe.count(ls.params)}",
        ))
    out.sort(key=lambda h: (h.position.line, h.position.character))
    return out
