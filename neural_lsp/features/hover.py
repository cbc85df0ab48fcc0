"""Hover: a layer (signature, doc, every shape under the HPO space, parameter count),
an HPO expression (name, kind, bounds, values, size of the space), a macro use (its
expansion), an argument name (its documentation)."""

from __future__ import annotations

from compiler.layers import lookup
from compiler.syntax import Call, Network
from neural_lsp.core.documents import Snapshot
from neural_lsp.query import describe, locate, walk

MAX_OCCURRENCES = 6
MAX_ROWS = 12


def hover(snap: Snapshot, offset: int) -> tuple[str, int, int] | None:
    """(Markdown text, start, end of what it is about)."""
    for probe in (offset, offset - 1):  # the cursor may sit just after the word
        if probe < 0:
            continue
        got = _hover_at(snap, probe)
        if got is not None:
            return got
    return None


def _hover_at(snap: Snapshot, offset: int):
    owner = locate.owner_at(snap, offset)
    if owner is not None and owner.name and owner.name_start <= offset < owner.name_end:
        if isinstance(owner, Network):
            net = locate.network_of(snap, owner)
            return (network_text(snap, net) if net else None), owner.name_start, owner.name_end
        return macro_text(snap, None, owner.name), owner.name_start, owner.name_end
    hpo = locate.hpo_at(snap, offset)
    call = locate.call_at(snap, offset)
    if hpo is not None:
        # A layer offered by an HPO layer choice shows itself when its name is hovered.
        on_option_name = call is not None and call.start >= hpo[0].node.start and \
            call.name_start <= offset < call.name_end
        if not on_option_name:
            return hpo_text(snap, *hpo), hpo[0].node.start, hpo[0].node.end
    if call is None:
        return None
    if call.name_start <= offset < call.name_end:
        macro = walk.macro_of(call.name, walk.macro_names(snap.analysis.tree))
        if macro is not None:
            return macro_text(snap, call, macro), call.name_start, call.name_end
    for a in call.args or ():
        if a.name is not None and a.name_start <= offset < a.name_end:
            text = param_text(call, a.name)
            return (text, a.name_start, a.name_end) if text else None
    spec = lookup(call.name)
    if spec is None:
        return None
    return layer_text(snap, call, spec), call.name_start, call.name_end


# ---------------------------------------------------------------------- layer
def layer_text(snap: Snapshot, call: Call, spec) -> str:
    parts = [f"```neural\n{spec.signature()}\n```", spec.doc]
    occ = locate.occurrences(snap, call)
    if not occ:
        if spec.block != "no" or spec.wrapper:
            parts.append("_Shapes are shown on the enclosing layer statement._")
        else:
            parts.append("_No shape: this layer sits inside another layer or the network "
                         "has no single input._")
        return "\n\n".join(parts)
    for i, o in enumerate(occ[:MAX_OCCURRENCES]):
        parts.append(_occurrence(o, i, len(occ)))
    if len(occ) > MAX_OCCURRENCES:
        parts.append(f"_… and {len(occ) - MAX_OCCURRENCES} more occurrences_")
    return "\n\n".join(parts)


def _occurrence(o: locate.LayerAt, i: int, n: int) -> str:
    ls = o.shape
    head = ""
    if n > 1:
        where = f"use of macro `{ls.layer.macro}` " if ls.layer.macro else ""
        head = f"**Occurrence {i + 1} of {n}** ({where}in `{o.network.name}`, " \
               f"layers[{ls.stmt_index}])\n\n"
    if ls.inputs is None:
        return head + "**Shape**: unknown (an earlier layer has no shape, or the network " \
                      "has several inputs)"
    if not ls.outputs:
        return head + f"**Input**: `{describe.shapes(ls.inputs)}` — no output shape (see the " \
                      "diagnostics)\n\n" + f"**Parameters**: {describe.count(ls.params)}"
    rows = describe.transitions(ls, o.network)
    if len(rows) == 1 and not rows[0][2]:
        body = f"**Shape**: `{rows[0][0]}` → `{rows[0][1]}`"
    else:
        lines = [f"**Shapes** under the search space ({len(rows)} output shape"
                 f"{'s' if len(rows) != 1 else ''}):"]
        for src, out, why in rows[:MAX_ROWS]:
            lines.append(f"- `{src}` → `{out}`" + (f" with {why}" if why else ""))
        if len(rows) > MAX_ROWS:
            lines.append(f"- … {len(rows) - MAX_ROWS} more")
        body = "\n".join(lines)
    return head + body + f"\n\n**Parameters**: {describe.count(ls.params)}"


def param_text(call: Call, name: str) -> str | None:
    spec = lookup(call.name)
    p = spec.param(name) if spec else None
    if p is None:
        return None
    default = "required" if p.required else f"default `{_show(p.default)}`"
    choices = f"; one of {', '.join(p.choices)}" if p.choices else ""
    return f"**{p.name}** ({p.kind}, {default}{choices})\n\n{p.doc}".rstrip()


def _show(v) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, bool):
        return "true" if v else "false"
    return "none" if v is None else str(v)


# ---------------------------------------------------------------------- HPO
def hpo_text(snap: Snapshot, param, networks) -> str:
    kind = {"choice": "choice", "custom": "custom options", "range": "range",
            "log_range": "log range"}[param.kind]
    lines = [f"**HPO** `{param.name}` — {kind}"]
    if param.context:
        lines.append(f"Sets `{param.context}`.")
    if param.kind in ("range", "log_range"):
        typ = "integer" if param.is_int else "float"
        bounds = f"Bounds: [{describe_num(param.low)}, {describe_num(param.high)}] ({typ})"
        if param.kind == "log_range":
            bounds += ", log scale"
        elif param.step is not None:
            bounds += f", step {describe_num(param.step)}"
        else:
            bounds += ", continuous" if not param.is_int else ", every integer"
        lines.append(bounds)
    n = param.count()
    lines.append("Values: " + ("continuous" if n is None else f"{n:,}")
                 + (f" — {param.values_text()}" if param.kind != "log_range" else
                    f" — e.g. {', '.join(describe_num(v) for v in param.sample_values())}"))
    if param.parent is not None:
        lines.append(f"Inside an option of `{param.parent.name}`: only searched when that "
                     "option is chosen.")
    lines.append(f"Default without a search: `{describe_num(param.public_value(param.default()))}`")
    for net in networks:
        space = net.space
        lines.append(f"Search space of `{net.name}`: {space.describe_size()}, "
                     f"{len(space)} parameter{'s' if len(space) != 1 else ''}")
    return "\n\n".join(lines)


def describe_num(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return _show(v) if not isinstance(v, str) else v


# ---------------------------------------------------------------------- macros
def network_text(snap: Snapshot, net) -> str:
    ns = snap.analysis.shapes_of(net)
    shown_in = ", ".join(describe.shapes({s: ()}) for s in net.inputs) or "unknown"
    lines = [f"**network** `{net.name}`",
             f"**Shape**: `{shown_in}` → `{describe.shapes(ns.output if ns else None)}`",
             f"**Layers**: {len(net.stmts)} statements, {len(ns.layers) if ns else 0} layers "
             "once macros and repetitions are expanded",
             f"**Parameters**: {describe.count(ns.total_params if ns else None)}"]
    space = net.space
    if space is not None and len(space):
        lines.append(f"**Search space**: {space.describe_size()}, {len(space)} parameter"
                     f"{'s' if len(space) != 1 else ''}")
    return "\n\n".join(lines)


def macro_text(snap: Snapshot, call: Call | None, macro: str) -> str:
    tree = snap.analysis.tree
    d = walk.define_named(tree, macro)
    text = snap.text
    parts = [f"**macro** `{macro}`"]
    if d is not None:
        line = snap.lines.line_of(d.name_start) + 1
        body = text[d.start:d.end]
        parts.append(f"Defined on line {line}; expands to:\n\n```neural\n{body}\n```")
    rows = []
    if call is None:  # on the definition itself
        return "\n\n".join(parts)
    owner = locate.owner_at(snap, call.start)
    net = locate.network_of(snap, owner) if isinstance(owner, Network) else None
    chain = locate.stmt_chain(owner, call.start) if net is not None else []
    st = locate.stmt_ir(net, chain[0]) if chain and chain[0].expr is call else None
    if st is not None:
        found = locate.stmt_shapes(snap, net, st.index)
        reps = f" × {st.stmt.repeat.value}" if st.stmt.repeat is not None else ""
        rows.append(f"In `{net.name}` (layers[{st.index}]{reps}): {len(found)} layer"
                    f"{'s' if len(found) != 1 else ''}")
        for ls in found[:MAX_ROWS]:
            rows.append(f"- {ls.layer.name}: `{describe.shapes(ls.inputs)}` → "
                        f"`{describe.shapes(ls.outputs)}`")
        if len(found) > MAX_ROWS:
            rows.append(f"- … {len(found) - MAX_ROWS} more")
    if rows:
        parts.append("\n".join(rows))
    return "\n\n".join(parts)
