"""Code actions (the compiler's fixes as quick fixes, `Flatten()` before a Dense on a
feature map, the four commands as source actions) and code lenses above networks."""

from __future__ import annotations

from lsprotocol import types

from neural_lsp.core.advertised import COMPILE, RUN_HPO, SOURCE_KINDS, TRAIN
from neural_lsp.core.convert import Action, Lens
from neural_lsp.core.documents import Snapshot
from neural_lsp.features import diagnostics as diag
from neural_lsp.query import locate

QUICKFIX = types.CodeActionKind.QuickFix.value


def network_commands(snap: Snapshot, net) -> list[tuple[str, types.Command]]:
    """(source action kind, command) for one network, in lens order."""
    name, uri = net.name, snap.uri
    out = []
    if net.space is not None and len(net.space):
        out.append(("hpo", types.Command(title="Run HPO", command=RUN_HPO, arguments=[uri, name, None])))
    out.append(("pytorch", types.Command(title="Compile to PyTorch", command=COMPILE,
                                         arguments=[uri, "pytorch", name])))
    out.append(("tensorflow", types.Command(title="Compile to TensorFlow", command=COMPILE,
                                            arguments=[uri, "tensorflow", name])))
    out.append(("train", types.Command(title="Train", command=TRAIN, arguments=[uri, name])))
    return out


def code_lenses(snap: Snapshot) -> list[Lens]:
    """The commands above each network (its keyword and name)."""
    lenses = []
    for net in snap.analysis.networks:
        if not net.name:
            continue
        start, end = net.node.start, net.node.name_end
        lenses += [(start, end, cmd) for _k, cmd in network_commands(snap, net)]
    return lenses


def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


def code_actions(snap: Snapshot, start: int, end: int, level: int, only: list[str] | None,
                 extra: list = ()) -> list[Action]:
    """`extra` are diagnostics from outside the compiler (insights.py) whose fixes are
    offered too. Fixes are offered for the diagnostics the client was sent
    (diagnostics.shown)."""
    out: list[Action] = []
    if _wanted(QUICKFIX, only):
        for d in [*diag.shown(snap, level)[0], *(d for d in extra if int(d.severity) <= level)]:
            if d.end < start or d.start > end or not (d.fixes or d.code == "N504"):
                continue
            for fix in d.fixes:
                out.append(Action(fix.title, QUICKFIX, diagnostic=d, preferred=len(d.fixes) == 1,
                                  edits=[(fix.start, fix.end, fix.text)]))
            if d.code == "N504":
                action = _flatten_before(snap, d)
                if action is not None:
                    out.append(action)
    for kind, cmd in _source_commands(snap, start):
        full = SOURCE_KINDS[kind]
        if _wanted(full, only):
            out.append(Action(f"Neural: {cmd.title}", full, command=cmd))
    return out


def _source_commands(snap: Snapshot, offset: int):
    nets = snap.analysis.networks
    net = next((n for n in nets if n.node.start <= offset <= n.node.end), None) or \
        (nets[0] if nets else None)
    if net is None or not net.name:
        return []
    return network_commands(snap, net)


def _flatten_before(snap: Snapshot, d) -> Action | None:
    """Insert `Flatten()` as its own statement before the Dense the warning is about (inside
    the macro when the Dense comes from one), keeping that line's indentation."""
    at, where = d.start, ""
    if d.related:  # the Dense is in a macro; the warning sits on the macro's use
        at = d.related[0].start
        where = " (in the macro, for every use)"
    stmt = locate.stmt_starting_at(snap, at)
    if stmt is None:
        return None  # e.g. a Dense offered by an HPO layer choice: no statement to precede
    text = snap.text
    line_start = text.rfind("\n", 0, at) + 1
    indent = text[line_start:at]
    new = f"Flatten()\n{indent}" if indent.strip() == "" else "Flatten() "
    name = text[stmt.expr.start:stmt.expr.name_end] if hasattr(stmt.expr, "name_end") else "Dense"
    return Action(f"Insert Flatten() before {name}{where}", QUICKFIX, diagnostic=d,
                  preferred=True, edits=[(at, at, new)])
