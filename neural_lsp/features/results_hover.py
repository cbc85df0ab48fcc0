"""The part of an HPO expression's hover that comes from its network's study: how many
trials tried it, the value of the best trial, a row per option (choice) or per part of the
range with the trials' count and best / mean metric, and how much it matters."""

from __future__ import annotations

from compiler.space import HPOParam
from neural_lsp.core.documents import Snapshot
from neural_lsp.features.results_lens import counts_text, number
from neural_lsp.results import study_match, study_stats
from neural_lsp.results.study_files import Study, View


def section(snap: Snapshot, view: View | None, param: HPOParam, networks: list) -> str | None:
    """Markdown for the hover, or None when no study of these networks knows the parameter."""
    matches = study_match.for_snapshot(snap, view)
    parts = []
    for net in networks:
        m = matches.get(net.name)
        if m is None:
            continue
        if m.study is not None:
            parts.append(study_section(m.study, param, net))
        elif m.stale is not None:
            parts.append(f"**Study** `{m.stale.name}` was for an earlier version of `{net.name}` "
                         f"({'; '.join(m.changes[:3])}): "
                         "its numbers are not shown. Run the search again for this space.")
    return "\n\n".join(parts) if parts else None


def study_section(study: Study, param: HPOParam, net) -> str:
    recorded = study.attr("importance")
    importances = recorded if isinstance(recorded, dict) and recorded else None
    source = "Optuna's fANOVA, from hpo_results.json"
    if importances is None:
        importances = study_stats.eta_squared(study, list(net.space or []))
        source = "share of the metric's variance explained by this parameter (η², no interactions)"
    st = study_stats.param_stats(study, param)
    metric = study.metric
    lines = [f"**Study** `{study.name}` — {counts_text(study)}, {metric} ({study.direction})"]
    if not st.tried:
        lines.append("No trial of this study set this parameter.")
        return "\n\n".join(lines)
    best = ""
    if st.best_metric is not None:
        best = f"; the best trial ({metric} {number(st.best_metric)}) used `{_shown(param, st.best_value)}`"
    lines.append(f"Tried in {st.tried} trial{'s' if st.tried != 1 else ''}{best}.")
    kind = "option" if param.kind in ("choice", "custom") else "value" if \
        study_stats.discrete(param) is not None else "range"
    table = [f"| {kind} | trials | best {metric} | mean {metric} |", "|---|---:|---:|---:|"]
    for row in st.rows:
        table.append(f"| `{row.label}` | {row.count} | {_cell(row.best)} | {_cell(row.mean)} |")
    lines.append("\n".join(table))
    if importances:
        share = importances.get(param.name)
        shown = f"{share:.2f}" if isinstance(share, (int, float)) else "not estimated"
        lines.append(f"Importance: {shown} ({source}).")
    return "\n\n".join(lines)


def _cell(v: float | None) -> str:
    return "–" if v is None else number(v)


def _shown(param: HPOParam, value) -> str:
    i = study_stats.index_of(param, value) if param.kind in ("choice", "custom") else None
    return param.option_display(i) if i is not None else number(value)
