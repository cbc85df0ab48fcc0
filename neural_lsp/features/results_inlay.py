"""Inlay hints after each HPO expression: the value of the best trial so far of its
network's study (setting `neural.inlayHints.bestValues`; nothing without a current study)."""

from __future__ import annotations

from neural_lsp.core.convert import Hint
from neural_lsp.core.documents import Snapshot
from neural_lsp.features.results_lens import number
from neural_lsp.results import study_match, study_stats
from neural_lsp.results.study_files import View


def best_value_hints(snap: Snapshot, view: View | None, start: int, end: int) -> list[Hint]:
    out = []
    matches = study_match.for_snapshot(snap, view)
    for net in snap.analysis.networks:
        m = matches.get(net.name)
        study = m.study if m is not None else None
        best = study.best() if study is not None else None
        if best is None:
            continue
        values = best.values
        for p in net.space or []:
            if not start <= p.node.end <= end or p.name not in values:
                continue
            v = values[p.name]
            i = study_stats.index_of(p, v) if p.kind in ("choice", "custom") else None
            shown = p.option_display(i) if i is not None else number(v)
            out.append((p.node.end, f"best: {shown}",
                        f"{p.name} in the best trial (#{best.number}, {study.metric} "
                        f"{number(best.value)}) of study {study.name}", None))
    out.sort(key=lambda h: h[0])
    return out
