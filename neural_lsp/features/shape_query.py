"""`neural/networkShape`: the network and the layer under the cursor, for a status bar."""

from __future__ import annotations

from typing import Any

from compiler.dims import fmt
from neural_lsp.core.documents import Snapshot
from neural_lsp.query import describe, locate


def network_shape(snap: Snapshot, offset: int) -> dict[str, Any] | None:
    a = snap.analysis
    net = next((n for n in a.networks if n.node.start <= offset <= n.node.end), None)
    if net is None:
        return None
    ns = a.shapes_of(net)
    if len(net.inputs) == 1:
        shown_in = fmt(net.inputs[0])
    elif net.inputs:
        shown_in = ", ".join(fmt(s) for s in net.inputs)
    else:
        shown_in = "unknown"
    result: dict[str, Any] = {
        "network": net.name,
        "input": shown_in,
        "output": describe.shapes(ns.output if ns is not None else None, limit=4),
        "layer": None,
        "layer_output": None,
    }
    chain = locate.stmt_chain(net.node, offset)
    if not chain:
        # The cursor in a layer line's indentation (or after its end) still means that layer.
        text = a.text
        start = text.rfind("\n", 0, offset) + 1
        end = text.find("\n", offset)
        line = text[start:len(text) if end < 0 else end]
        if line.strip():
            chain = locate.stmt_chain(net.node, start + len(line) - len(line.lstrip()))
    st = locate.stmt_ir(net, chain[0]) if chain else None
    found = locate.stmt_shapes(snap, net, st.index) if st is not None else []
    if found:
        first = found[0].layer
        name = first.macro if first.macro and first.use_start == st.stmt.start else first.name
        if first.choice is not None:
            name = f"HPO choice ({first.choice.name})"
        if st.stmt.repeat is not None:
            name += f" × {st.stmt.repeat.value}"
        result["layer"] = name
        result["layer_output"] = describe.shapes(found[-1].outputs, limit=4)
    return result
