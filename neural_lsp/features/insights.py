"""Insights from a network's current study, as information diagnostics with quick fixes
(N801: the best trials sit at a bound of a range -> widen it; N802: a choice option never
among the better half of the trials -> drop it), and the source action that writes the best
trial's values in place of the HPO expressions (comments and spacing kept, as
FILE.optimized.neural is written: compiler.render)."""

from __future__ import annotations

from compiler.diagnostics import Diagnostic, Fix, make
from compiler.render import literal, render
from compiler.space import HPOParam
from compiler.syntax import HPO, Num
from neural_lsp.core.advertised import APPLY_BEST
from neural_lsp.core.convert import Action
from neural_lsp.core.documents import Snapshot
from neural_lsp.features.formatting import line_edits
from neural_lsp.features.results_lens import number
from neural_lsp.results import study_match, study_stats
from neural_lsp.results.study_files import Study, View


def diagnostics(snap: Snapshot, view: View | None) -> list[Diagnostic]:
    """Once per document version and store reading."""
    if view is None:
        return []
    stamp = (view.base, view.generation)
    cached = snap.cache.get("insights")
    if cached is not None and cached[0] == stamp:
        return cached[1]
    out: list[Diagnostic] = []
    for net in snap.analysis.networks:
        m = study_match.for_snapshot(snap, view).get(net.name)
        if m is None or m.study is None or not net.space:
            continue
        params = list(net.space)
        for e in study_stats.edges(m.study, params):
            d = _edge(snap, m.study, e)
            if d is not None:
                out.append(d)
        for u in study_stats.unused_options(m.study, params):
            out.append(_unused(snap, m.study, u))
    out.sort(key=lambda d: (d.start, d.code))
    snap.cache["insights"] = (stamp, out)
    return out


def _bounds(node: HPO):
    """The argument nodes of a range's lower and upper bound (as compiler.checks reads them)."""
    pos = [a for a in node.args if a.name is None]
    named = {a.name: a for a in node.args if a.name is not None}
    lo = pos[0] if pos else named.get("low") or named.get("start") or named.get("min")
    hi = pos[1] if len(pos) > 1 else named.get("high") or named.get("end") or named.get("max")
    return lo, hi


def _edge(snap: Snapshot, study: Study, e: study_stats.Edge) -> Diagnostic | None:
    p = e.param
    new = study_stats.widened(p, e.side)
    lo_arg, hi_arg = _bounds(p.node)
    if new is None or lo_arg is None or hi_arg is None or \
            not isinstance(lo_arg.value, Num) or not isinstance(hi_arg.value, Num):
        return None
    arg = hi_arg if e.side == "upper" else lo_arg
    value = new[1] if e.side == "upper" else new[0]
    short = p.name.rsplit(".", 1)[-1]
    pct = int(study_stats.EDGE * 100)
    msg = (f"the {e.top} best trials of study {study.name} all have {short} within {pct}% of the "
           f"{e.side} bound {number(e.bound)}: widen the range")
    fix = Fix(f"Widen the range to {literal(new[0])}..{literal(new[1])}", arg.value.start,
              arg.value.end, literal(value))
    return make("N801", msg, arg.value.start, arg.value.end, fixes=(fix,))


def _unused(snap: Snapshot, study: Study, u: study_stats.Unused) -> Diagnostic:
    p: HPOParam = u.param
    spans = p.option_spans
    s, e = spans[u.option]
    shown = p.option_display(u.option)
    msg = (f"option {shown} of {p.name.rsplit('.', 1)[-1]} was tried in {u.tried} of {u.complete} "
           f"complete trials of study {study.name} and was never among the better half: drop it")
    fixes: tuple[Fix, ...] = ()
    if p.kind == "choice" and len(spans) > 1:
        # the option and the comma that separates it from a neighbour
        cut = (spans[u.option - 1][1], e) if u.option > 0 else (s, spans[1][0])
        fixes = (Fix(f"Drop option {shown}", cut[0], cut[1], ""),)
    return make("N802", msg, s, e, fixes=fixes)


# ---------------------------------------------------------------------- apply best values
def best_values(net, study: Study) -> dict | None:
    """The best trial's values as compiler.render takes them (option indices for choices);
    None when the study has no best trial or a value no longer fits the document."""
    best = study.best()
    if best is None:
        return None
    values = best.values
    out = {}
    for p in net.space or []:
        if p.name not in values:
            continue
        v = values[p.name]
        if p.kind in ("choice", "custom"):
            i = study_stats.index_of(p, v)
            if i is None:
                return None
            out[p.name] = i
        else:
            try:
                out[p.name] = p.parse_public(v)
            except ValueError:
                return None
    return out or None


def source_actions(snap: Snapshot, view: View | None, offset: int,
                   only: list[str] | None) -> list[Action]:
    if view is None or (only and not any(APPLY_BEST == o or APPLY_BEST.startswith(o + ".")
                                         for o in only)):
        return []
    nets = snap.analysis.networks
    net = next((n for n in nets if n.node.start <= offset <= n.node.end), None) or \
        (nets[0] if nets else None)
    m = study_match.for_snapshot(snap, view).get(net.name) if net is not None and net.name else None
    if m is None or m.study is None:
        return []
    values = best_values(net, m.study)
    if values is None:
        return []
    new = render(snap.text, net.space, values)
    edits = line_edits(snap.text, new)
    if not edits:
        return []
    best = m.study.best()
    title = (f"Neural: Apply the best values of study {m.study.name} (trial #{best.number}, "
             f"{m.study.metric} {number(best.value)})")
    return [Action(title, APPLY_BEST, edits=edits)]
