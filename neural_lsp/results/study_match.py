"""Which study belongs to which network of a document, and whether the document still has
the space that study searched.

A study is a network's when its recorded network name is the network's and its program is
the document's file (the runner records both, with the search's identity, as study
attributes; older studies only have the runner's default name `<file stem>-<network>`).
The space it searched is its recorded identity's (compiler.identity), else
hpo_results.json's `dimensions`, else the distributions of its trials. The space is
compared, and the model outside it when the identity records one (an edited fixed layer is
another study for the runner too); dataset, backend, metric and epochs are choices of the
command, not of the document.
When that differs from the document's space now, its numbers describe an earlier version of
the network: the editor says so instead of showing them as current.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from neural_lsp.results.study_files import Study, View


@dataclass(slots=True)
class Match:
    study: Study | None = None  # the newest study of this network searching its current space
    stale: Study | None = None  # the newest study of this network, for an earlier space
    changes: list[str] = field(default_factory=list)  # how the space changed since `stale`


def _same_file(a: Any, b: str | None) -> bool:
    if not isinstance(a, str) or not a or b is None:
        return False
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


def belongs(study: Study, network: str, path: str | None) -> bool:
    net = study.attr("network")
    program = study.attr("program")
    if isinstance(net, str) and net:
        if net != network:
            return False
        if isinstance(program, str) and program and path is not None:
            # a relative program path is relative to where the search ran: the store's parent
            full = program if os.path.isabs(program) else os.path.join(
                os.path.dirname(os.path.dirname(os.path.dirname(study.folder))), program)
            return _same_file(full, path) or os.path.basename(program) == os.path.basename(path)
        return True
    if path is None:
        return False
    stem = os.path.splitext(os.path.basename(path))[0]
    family = f"{stem}-{network}"
    return study.name == family or study.name.startswith(family + "-")


# ---------------------------------------------------------------------- spaces
def _norm_numeric(kind: str, low: Any, high: Any, step: Any, log: Any) -> tuple:
    is_int = kind == "int"
    if log:
        step = None
    elif is_int and step is None:
        step = 1
    f = float
    return (kind, f(low), f(high), None if step is None else f(step), bool(log))


def _from_identity(d: dict) -> tuple:
    if d.get("kind") == "categorical":
        return ("categorical", _key(d.get("values") or []))
    return _norm_numeric(d.get("kind", "float"), d.get("low"), d.get("high"), d.get("step"), d.get("log"))


def _from_seed(d: dict) -> tuple:
    if d.get("type") == "categorical":
        return ("categorical", _key(d.get("values") or []))
    return _norm_numeric(d.get("type", "float"), d.get("min"), d.get("max"), d.get("step"), d.get("log"))


def _from_distribution(d: dict) -> tuple | None:
    name = d.get("name", "")
    a = d.get("attributes") or {}
    if name.startswith("Categorical"):
        return ("categorical", _key(a.get("choices") or []))
    if name.startswith("Int"):
        return _norm_numeric("int", a.get("low"), a.get("high"), a.get("step"), a.get("log"))
    if name.startswith("Float"):
        return _norm_numeric("float", a.get("low"), a.get("high"), a.get("step"), a.get("log"))
    return None


def _key(values: list) -> tuple:
    import json

    return tuple(json.dumps(v, sort_keys=True, default=str) for v in values)


def document_space(net: Any) -> dict[str, tuple]:
    """The network's search space now, described as a search records it
    (compiler.identity), in the comparable form."""
    from compiler.identity import space_dimensions

    return {d["name"]: _from_identity(d) for d in space_dimensions(net)}


def study_space(study: Study) -> tuple[dict[str, tuple], bool]:
    """(the space the study searched, complete?): complete when recorded as a whole (identity
    or hpo_results.json), partial when pieced together from its trials' distributions."""
    ident = study.attr("identity")
    if isinstance(ident, dict) and isinstance(ident.get("space"), list):
        return {d["name"]: _from_identity(d) for d in ident["space"] if isinstance(d, dict) and "name" in d}, True
    dims = study.attr("dimensions")
    if isinstance(dims, dict) and dims:
        return {k: _from_seed(v) for k, v in dims.items() if isinstance(v, dict)}, True
    out: dict[str, tuple] = {}
    for t in study.trials:
        for k, d in t.distributions.items():
            got = _from_distribution(d)
            if got is not None:
                out[k] = got
    return out, False


def _show(form: tuple) -> str:
    if form[0] == "categorical":
        return "choice " + ", ".join(form[1])
    kind, lo, hi, step, log = form
    scale = " log" if log else ""
    return f"{kind}{scale} [{lo:g}, {hi:g}]" + (f" step {step:g}" if step not in (None, 1.0) else "")


def space_changes(net: Any, study: Study, model: Callable[[], str]) -> list[str]:
    """How the document's search differs from the study's: one line per parameter, and one
    when the model outside the space changed (`model()`: the document's model fingerprint,
    asked only of a study that records one)."""
    mine = document_space(net)
    theirs, whole = study_space(study)
    if not theirs:
        return []
    roots = {p.name for p in net.space or [] if p.parent is None}
    out = []
    for name in sorted(theirs.keys() - mine.keys()):
        out.append(f"{name} is no longer searched")
    for name in sorted(mine.keys() - theirs.keys()):
        if whole or name in roots:
            out.append(f"{name} is newly searched")
    for name in sorted(mine.keys() & theirs.keys()):
        if mine[name] != theirs[name]:
            out.append(f"{name}: {_show(theirs[name])} → {_show(mine[name])}")
    ident = study.attr("identity")
    if isinstance(ident, dict) and isinstance(ident.get("model"), str):
        from compiler.identity import MODEL_PARTS

        if model() != ident["model"]:
            out.append(f"the network outside the search changed ({MODEL_PARTS})")
    return out


def match(view: View, net: Any, path: str | None) -> Match:
    """The study to show for a network, or the stale one and what changed."""
    mine = [s for s in view.studies if belongs(s, net.name, path)]
    mine.sort(key=lambda s: max([s.updated, *(t.end or t.start or 0 for t in s.trials)]), reverse=True)
    from compiler.identity import model_fingerprint

    m = Match()
    model = functools.cache(lambda: model_fingerprint(net))  # once per network, for any number of studies
    for s in mine:
        changes = space_changes(net, s, model)
        if not changes:
            m.study = s
            return m
        if m.stale is None:
            m.stale, m.changes = s, changes
    return m


def for_snapshot(snap: Any, view: View | None) -> dict[str, Match]:
    """Each named network of an analysed document -> its Match (once per version and store
    reading)."""
    if view is None:
        return {}
    stamp = (view.base, view.generation)
    cached = snap.cache.get("study_match")
    if cached is not None and cached[0] == stamp:
        return cached[1]
    from pygls.uris import to_fs_path

    path = to_fs_path(snap.uri) if snap.uri.startswith("file:") else None
    got = {net.name: match(view, net, path) for net in snap.analysis.networks if net.name}
    snap.cache["study_match"] = (stamp, got)
    return got
