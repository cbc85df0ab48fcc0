"""Putting chosen values back into the program text.

Only the characters of each HPO expression change; comments, spacing and everything else
stay as written, so the result reads like the original and parses to the program with
those values substituted.
"""

from __future__ import annotations

from typing import Any

from compiler.space import HPOParam, Space


def literal(v: Any) -> str:
    """DSL source text for a value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(float(f"{v:.12g}"))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, (tuple, list)):
        inner = ", ".join(literal(x) for x in v)
        if isinstance(v, tuple):
            return f"({inner},)" if len(v) == 1 else f"({inner})"
        return f"[{inner}]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{literal(str(k))}: {literal(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as DSL")


def render(text: str, space: Space, values: dict[str, Any],
           edits: list[tuple[int, int, str]] | None = None) -> str:
    """The text with every HPO expression named in `values` replaced by its value.

    `values` holds internal values (option indices for choices); parameters not named
    keep their HPO expression. `edits` are extra (start, end, text) replacements outside
    those expressions, e.g. a searched value written where the program has a literal.
    """
    edits = sorted(edits or [])
    roots = [p for p in space.params if p.parent is None and _named(p, values)
             and not any(s <= p.node.start and p.node.end <= e for s, e, _t in edits)]
    if not edits:
        return _splice(text, 0, len(text), roots, values)
    out, pos = [], 0
    for s, e, t in edits:
        inside = [p for p in roots if pos <= p.node.start and p.node.end <= s]
        out.append(_splice(text, pos, s, inside, values))
        out.append(t)
        pos = e
    out.append(_splice(text, pos, len(text), [p for p in roots if p.node.start >= pos], values))
    return "".join(out)


def _named(p: HPOParam, values: dict[str, Any]) -> bool:
    return p.name in values or any(_named(c, values) for c in p.children)


def _splice(text: str, start: int, end: int, params: list[HPOParam], values: dict[str, Any]) -> str:
    out = []
    pos = start
    for p in sorted(params, key=lambda q: q.node.start):
        if p.node.start < pos:
            continue  # the same expression reached twice (a macro in two networks)
        out.append(text[pos:p.node.start])
        out.append(_value_text(text, p, values))
        pos = p.node.end
    out.append(text[pos:end])
    return "".join(out)


def _value_text(text: str, p: HPOParam, values: dict[str, Any]) -> str:
    if p.name not in values:
        # Only inner parameters are set: keep this expression, fill in the inner ones.
        return _splice(text, p.node.start, p.node.end, [c for c in p.children if _named(c, values)], values)
    v = values[p.name]
    if p.kind in ("choice", "custom"):
        s, e = p.option_spans[v]
        inner = [c for c in p.children_of(v)]
        values = {**{c.name: c.default() for c in inner}, **values}
        if p.spreads:
            # `Dense(HPO(custom({"a": {"units": 64}})))`: the option's entries become the
            # layer's named arguments, each value written as in the option (HPO inside kept).
            return ", ".join(
                f"{key}={_splice(text, vn.start, vn.end, [c for c in inner if vn.start <= c.node.start and c.node.end <= vn.end], values)}"
                for key, _ks, _ke, vn in p.option_nodes[v].items)
        return _splice(text, s, e, inner, values)
    return literal(v)


def substitute(text: str, values: dict[str, Any], network: str | None = None):
    """The concrete program for `values` (public values such as 64, "relu", "(3, 3)").

    Parameters not given take their defaults (see HPOParam.default), so the result has no
    HPO left; it is analysed again, so it is validated exactly like a hand-written program.
    Returns (text, Analysis); raises KeyError for an unknown name and ValueError for a value
    outside a parameter's range.
    """
    from compiler.analysis import analyze

    a = analyze(text)
    net = a.network(network)
    if net is None:
        raise KeyError(network or "no network in the program")
    internal = net.space.from_public(values)
    full = {p.name: internal.get(p.name, p.default()) for p in net.space}
    out = render(text, net.space, full)
    return out, analyze(out)
