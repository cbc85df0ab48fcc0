"""What is at an offset, found by bisection over the (sorted) syntax tree and IR.

Nothing here walks the whole document: statements, HPO parameters and inferred layers are
all stored in source order, so a hover at 10,000 layers costs what it costs at 100.

A network's layer statements are found through `Network.layers` only, never by the offsets
the model reads from them: right after an edit the statements after it take their offset
moves when read through that list (compiler.offsets.StmtList), and a hover does not wait for
all of them to be moved.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

from compiler.syntax import HPO, Branch, Call, Define, LayerStmt, Network
from neural_lsp.core.documents import Snapshot
from neural_lsp.query import walk


@dataclass(slots=True, eq=False)
class LayerAt:
    """One layer occurrence found by inference: its shapes and the network it is in."""

    shape: Any  # compiler.shapes.LayerShape
    network: Any  # compiler.model.NetworkIR


def _start(x) -> int:
    return x.start


def owner_at(snap: Snapshot, offset: int) -> Network | Define | None:
    return walk.owner_at(snap.analysis.tree, offset)


def in_network(snap: Snapshot, offset: int) -> bool:
    return isinstance(owner_at(snap, offset), Network)


def stmt_chain(owner: Network | Define | None, offset: int) -> list[LayerStmt]:
    """The layer statements holding offset, outermost first (blocks nest)."""
    if owner is None:
        return []
    body = owner.layers if isinstance(owner, Network) else owner.body
    chain: list[LayerStmt] = []
    while body:
        i = bisect_right(body, offset, key=_start) - 1
        if i < 0:
            break
        st = body[i]
        if not st.start <= offset < max(st.end, st.start + 1):
            break
        chain.append(st)
        e = st.expr
        body = e.block if isinstance(e, (Call, Branch)) else None
    return chain


def call_at(snap: Snapshot, offset: int) -> Call | None:
    """The innermost call in layer position (a layer, a wrapped layer, an option of an HPO
    layer choice) holding offset."""
    chain = stmt_chain(owner_at(snap, offset), offset)
    if not chain:
        return None
    best = None
    for call in walk.layer_calls(chain[-1]):
        if call.start <= offset < max(call.end, call.start + 1) and (best is None or call.start >= best.start):
            best = call
    return best


def _section_values(net: Network):
    for v in (net.loss, net.optimizer, net.metrics, *net.inputs):
        if v is not None:
            yield v
    for e in (*net.train, *net.execute, *net.unknown):
        yield e.value


def hpo_node_at(snap: Snapshot, offset: int) -> HPO | None:
    """The innermost HPO expression holding offset."""
    owner = owner_at(snap, offset)
    if owner is None:
        return None
    chain = stmt_chain(owner, offset)
    roots = [chain[-1].expr] if chain else list(_section_values(owner)) if isinstance(owner, Network) else []
    best = None
    for root in roots:
        if not root.start <= offset < root.end:
            continue
        for v in walk.values(root):
            if isinstance(v, HPO) and v.start <= offset < v.end and (best is None or v.start >= best.start):
                best = v
    return best


def param_of(snap: Snapshot, node: HPO) -> tuple[Any, list] | None:
    """(HPOParam, networks whose space holds it) for an HPO expression."""
    owner = owner_at(snap, node.start)
    if isinstance(owner, Network):
        net = network_of(snap, owner)
        chain = stmt_chain(owner, node.start)
        st = stmt_ir(net, chain[0]) if net is not None and chain else None
        if st is not None:  # a layer statement's: among the parameters it made
            found = next((p for p in st.params if p.node is node), None)
            return (found, [net]) if found is not None else None
    # a section's or a macro's (a macro's may be in several networks' spaces)
    found, nets = None, []
    for net in snap.analysis.networks:
        for p in net.space.params if net.space is not None else ():
            if p.node is node:
                found = p
                nets.append(net)
                break
    return (found, nets) if found is not None else None


def hpo_at(snap: Snapshot, offset: int):
    node = hpo_node_at(snap, offset)
    return param_of(snap, node) if node is not None else None


def stmt_ir(net, stmt: LayerStmt):
    """The StmtIR of a top-level statement of a network (one per statement, in order)."""
    i = bisect_left(net.node.layers, stmt.start, key=_start)
    if i < len(net.stmts) and net.stmts[i].stmt is stmt:
        return net.stmts[i]
    return None


def stmt_shapes(snap: Snapshot, net, index: int) -> list:
    """The inferred layer occurrences of statement `index` (macros and `* N` expanded)."""
    ns = snap.analysis.shapes_of(net)
    if ns is None:
        return []
    layers = ns.layers
    lo = bisect_left(layers, index, key=lambda ls: ls.stmt_index)
    hi = bisect_right(layers, index, lo=lo, key=lambda ls: ls.stmt_index)
    return layers[lo:hi]


def network_of(snap: Snapshot, node: Network):
    return next((n for n in snap.analysis.networks if n.node is node), None)


def occurrences(snap: Snapshot, call: Call) -> list[LayerAt]:
    """Every inferred occurrence of the layer written at `call`: once per `* N`
    repetition, and per use when it sits in a macro."""
    owner = owner_at(snap, call.start)
    if isinstance(owner, Network):
        net = network_of(snap, owner)
        chain = stmt_chain(owner, call.start)
        st = stmt_ir(net, chain[0]) if net is not None and chain else None
        if st is None:
            return []
        found = [LayerAt(ls, net) for ls in stmt_shapes(snap, net, st.index) if _written_at(ls, call)]
        ns = snap.analysis.shapes_of(net)
        if not found and ns is not None and st.index < len(ns.stmt_nested):
            # a layer inside a block of this statement
            found = [LayerAt(ls, net) for ls in ns.stmt_nested[st.index].values()
                     if _written_at(ls, call)]
        return found
    out = []
    for ns in snap.analysis.shapes:  # a macro body: every network that expands it
        out += [LayerAt(ls, ns.network) for ls in ns.layers if _written_at(ls, call)]
        for part in ns.stmt_nested:
            out += [LayerAt(ls, ns.network) for ls in part.values() if _written_at(ls, call)]
    return out


def _written_at(ls, call: Call) -> bool:
    return ls.layer.start == call.start and ls.layer.end == call.end


def macro_uses(snap: Snapshot) -> list[tuple[Call, str]]:
    got = snap.cache.get("macro_uses")
    if got is None:
        got = snap.cache["macro_uses"] = list(walk.macro_uses(snap.analysis.tree))
    return got


def stmt_starting_at(snap: Snapshot, offset: int) -> LayerStmt | None:
    return next((st for st in stmt_chain(owner_at(snap, offset), offset) if st.start == offset), None)
