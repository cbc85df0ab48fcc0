"""Document symbols (networks with their layers, macros) and folding ranges."""

from __future__ import annotations

from lsprotocol import types

from compiler.syntax import HPO, Branch, Call, LayerStmt, Network
from neural_lsp.core.convert import Symbol
from neural_lsp.core.documents import Snapshot
from neural_lsp.query import describe, walk

S = types.SymbolKind


def _name(s: str, fallback: str) -> str:
    return s if s else fallback


def document_symbols(snap: Snapshot) -> list[Symbol]:
    """Macros and networks in document order, each with its statements (blocks nested)."""
    tree = snap.analysis.tree
    macros = walk.macro_names(tree)
    shapes = {}
    for net in snap.analysis.networks:
        ns = snap.analysis.shapes_of(net)
        last = {ls.stmt_index: ls for ls in (ns.layers if ns else ())}  # the last one wins
        for st in net.stmts:
            ls = last.get(st.index)
            if ls is not None and ls.outputs:
                shapes[id(st.stmt)] = describe.shapes(ls.outputs, limit=3)

    def stmt_symbol(st: LayerStmt) -> Symbol:
        e = st.expr
        children = None
        if isinstance(e, Call):
            m = walk.macro_of(e.name, macros)
            name, kind = (e.name, S.Module if m else S.Field)
            sel = (e.name_start, e.name_end)
            if e.block:
                children = [stmt_symbol(s) for s in e.block]
        elif isinstance(e, HPO):
            name, kind, sel = "HPO choice", S.Enum, (e.start, e.kind_end if e.kind_end > e.start else e.end)
        else:  # Branch
            assert isinstance(e, Branch)
            name, kind, sel = e.name, S.Namespace, (e.name_start, e.name_end)
            children = [stmt_symbol(s) for s in e.block]
        if st.repeat is not None:
            name += f" × {st.repeat.text}"
        return Symbol(_name(name, "(layer)"), kind, st.start, max(st.end, sel[1]), *sel,
                      detail=shapes.get(id(st)), children=children or None)

    out: list[tuple[int, Symbol]] = []
    for d in tree.defines:
        out.append((d.start, Symbol(
            _name(d.name, "(macro)"), S.Function, d.start, max(d.end, d.name_end),
            d.name_start, d.name_end, detail="macro",
            children=[stmt_symbol(s) for s in d.body] or None)))
    by_node = {id(n.node): n for n in snap.analysis.networks}
    for n in tree.networks:
        net = by_node.get(id(n))
        detail = None
        if net is not None and len(net.inputs) == 1:
            ns = snap.analysis.shapes_of(net)
            detail = f"{describe.shapes({net.inputs[0]: ()})} → {describe.shapes(ns.output if ns else None, 3)}"
        out.append((n.start, Symbol(
            _name(n.name, "(network)"), S.Class, n.start, max(n.end, n.name_end),
            n.name_start, n.name_end, detail=detail,
            children=[stmt_symbol(s) for s in n.layers or ()] or None)))
    out.sort(key=lambda t: t[0])
    return [s for _, s in out]


def folding_ranges(snap: Snapshot) -> list[types.FoldingRange]:
    tree = snap.analysis.tree
    lines = snap.lines
    text = snap.text
    found: dict[int, types.FoldingRange] = {}

    def fold(start: int, end: int, kind: str | None = None) -> None:
        a = lines.line_of(start)
        b = lines.line_of(max(start, end - 1))
        if end > 0 and text[end - 1:end] in ")]}" and text[lines.starts[b]:end - 1].strip() == "":
            b -= 1  # keep a closing bracket on its own line visible
        if b > a and a not in found:
            found[a] = types.FoldingRange(start_line=a, end_line=b, kind=kind)

    for n in (*tree.networks, *tree.defines):
        fold(n.start, n.end, types.FoldingRangeKind.Region)
        if isinstance(n, Network):
            for sec in n.sections:
                fold(sec.start, sec.end)
    for st, _owner in walk.all_stmts(tree):
        fold(st.start, st.end)
    # runs of two or more whole-line comments
    run: list = []
    for c in [*tree.comments, None]:
        if c is not None and text[lines.starts[lines.line_of(c.start)]:c.start].strip() == "" and \
                run and lines.line_of(c.start) == lines.line_of(run[-1].start) + 1:
            run.append(c)
            continue
        if len(run) >= 2:
            a, b = lines.line_of(run[0].start), lines.line_of(run[-1].start)
            found.setdefault(a, types.FoldingRange(start_line=a, end_line=b,
                                                   kind=types.FoldingRangeKind.Comment))
        run = [c] if c is not None and text[lines.starts[lines.line_of(c.start)]:c.start].strip() == "" else []
    return sorted(found.values(), key=lambda f: f.start_line)
