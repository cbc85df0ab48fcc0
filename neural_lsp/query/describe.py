"""Shapes, parameter counts and HPO values as people read them (compiler formatting)."""

from __future__ import annotations

from typing import Any

from compiler.dims import Span, fmt, fmt_count
from compiler.shapes import describe_witness

MAX_SHAPES_SHOWN = 8


def shapes(d: dict | None, limit: int = MAX_SHAPES_SHOWN) -> str:
    """`(26, 26, 32)` or `(26, 26, 32) | (24, 24, 32)`; `unknown` when inference stopped."""
    if not d:
        return "unknown"
    items = [fmt(s) for s in d]
    if len(items) > limit:
        return " | ".join(items[:limit]) + f" | … ({len(items)} shapes)"
    return " | ".join(items)


def count(n: Any) -> str:
    if n is None:
        return "unknown"
    if isinstance(n, Span):
        return f"{fmt_count(n)} (depends on the search space)"
    return fmt_count(n)


def own_witness(out_w: tuple, inputs: dict) -> tuple[Any, tuple]:
    """Split an output's witness into (the input shape it came from, the HPO values this
    layer added). Witnesses are linked lists that extend the input's witness."""
    tails = {id(w): s for s, w in inputs.items()}
    cells = []
    w = out_w
    while True:
        if id(w) in tails:
            break
        if not w:
            return None, out_w
        name, value, w = w
        cells.append((name, value))
    own: tuple = ()
    for name, value in reversed(cells):
        own = (name, value, own)
    return tails[id(w)], own


def transitions(ls, net) -> list[tuple[str, str, str]]:
    """(input, output, the values of this layer's searched parameters) per output shape.
    The network's parameters by name are gathered only for a layer the search changes
    (a hover on any other layer reads nothing proportional to the network)."""
    if not ls.outputs:
        return []
    rows, params = [], None
    for out, w in ls.outputs.items():
        src, own = own_witness(w, ls.inputs or {})
        if own and params is None:
            params = space_params(net)
        rows.append((fmt(src) if src is not None else shapes(ls.inputs), fmt(out),
                     describe_witness(own, params) if own else ""))
    return rows


def space_params(net) -> dict:
    return {p.name: p for p in (net.space or ())}
