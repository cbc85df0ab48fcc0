"""What the comparison UI shows, computed from the experiment store on every call.

Each function takes an ExperimentManager and the ids the browser selected and returns a
JSON-ready dict: plain data plus Plotly figure specs ({"data": [...], "layout": {...}}),
so the browser only draws. Nothing is kept between calls: a run that logs a new record or
an experiment that appears on disk shows up on the next request.

Experiment and metric names are user text. Plotly renders a subset of HTML in trace names,
axis titles and hover labels, so every such string bound for a figure is HTML-escaped here
(Plotly turns the entities back into the literal characters); the page itself inserts text
with textContent only.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from runner.tracking.errors import TrackingError
from runner.tracking.integrations import flatten
from runner.tracking.manager import ExperimentManager, load_history
from runner.tracking.reading import log_problem, read_metadata, read_summary
from runner.tracking.report import best_metric_table
from runner.tracking.store import read_json
from runner.tracking.summary import metric_mode, metric_names, series, summarize
from runner.tracking.tracker import HYPERPARAMETERS_FILE
from runner.tracking.values import from_json

# Plotly's default qualitative palette: experiment i of a selection gets colour i everywhere.
PALETTE = ("#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A",
           "#19D3F3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52")
BEST_METRICS_LIMIT = 10
MISSING = "—"
_ARROW = {"min": "↓", "max": "↑"}
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


# ------------------------------------------------------------------------ formatting


def exact_text(value: Any) -> str:
    """The value as logged: floats in Python's shortest round-trip form (0.1 stays 0.1)."""
    if value is None:
        return MISSING
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return _NON_FINITE.get(value) or repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def compact_text(value: Any) -> str:
    """Six significant digits for floats (tables and bar labels); exact_text otherwise."""
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.6g}"
    return exact_text(value)


def _plotly_text(text: str) -> str:
    return html.escape(text, quote=False)


def _finite_or_none(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def same_value(a: Any, b: Any) -> bool:
    """Equality for hyperparameters: 32 == 32.0, NaN == NaN, but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


# ------------------------------------------------------------------------- selection


@dataclass
class Experiment:
    """One selected experiment, read from its folder for the duration of one request."""

    experiment_id: str
    folder: Path
    meta: dict[str, Any]
    color: str

    @property
    def name(self) -> str:
        return str(self.meta.get("experiment_name") or self.experiment_id)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.experiment_id})"

    @cached_property
    def history(self) -> list[dict[str, Any]]:
        return load_history(self.folder)

    @cached_property
    def hyperparameters(self) -> dict[str, Any]:
        return flatten(from_json(read_json(self.folder / HYPERPARAMETERS_FILE, {}) or {}))

    def brief(self) -> dict[str, Any]:
        return {"id": self.experiment_id, "name": self.name, "label": self.label,
                "color": self.color, "status": self.meta.get("status")}


class Selection(list):
    """The chosen experiments, plus the ids that name none and the damaged ones."""

    def __init__(self) -> None:
        super().__init__()
        self.damaged: dict[str, str] = {}


def select(manager: ExperimentManager, ids: Iterable[str]) -> tuple[list[Experiment], list[str]]:
    """The experiments behind `ids` in the given order (duplicates dropped), and the ids that
    name no experiment (deleted since the page listed them, or mistyped in the URL). Damaged
    experiments are left out too, with their problem in `chosen.damaged`."""
    chosen: Selection = Selection()
    damaged = chosen.damaged
    missing: list[str] = []
    for experiment_id in dict.fromkeys(ids):
        try:
            folder = manager.resolve(experiment_id)
        except TrackingError:
            missing.append(experiment_id)
            continue
        meta, problem = read_metadata(folder)
        problem = problem or read_summary(folder)[1] or log_problem(folder)
        if meta is None or problem is not None:  # listed as damaged; nothing to draw
            damaged[experiment_id] = str(problem)
            continue
        real_id = meta["experiment_id"]
        if any(e.experiment_id == real_id for e in chosen):
            continue
        chosen.append(Experiment(real_id, folder, meta, PALETTE[len(chosen) % len(PALETTE)]))
    return chosen, missing


def _envelope(chosen: Sequence[Experiment], missing: Sequence[str]) -> dict[str, Any]:
    return {"experiments": [e.brief() for e in chosen], "missing": list(missing),
            "damaged": dict(getattr(chosen, "damaged", {}))}


# ------------------------------------------------------------------------------ views


def experiment_list(manager: ExperimentManager) -> dict[str, Any]:
    """Every experiment of the store, newest first, for the picker."""
    items = []
    for info in reversed(manager.list_experiments()):
        items.append({
            "id": info["experiment_id"],
            "name": str(info["experiment_name"] or info["experiment_id"]),
            "label": f"{info['experiment_name']} ({info['experiment_id']})",
            "status": info["status"],
            "start_time": info["start_time"],
            "start_timestamp": info["start_timestamp"],
            "duration_s": info["duration_s"],
            "tags": {str(k): str(v) for k, v in (info["tags"] or {}).items()},
            "notes": info["notes"],
            "problem": info.get("problem"),
        })
    return {"base_dir": str(manager.base_dir.resolve()), "palette": list(PALETTE),
            "experiments": items}


def _metric_figure(name: str, chosen: Sequence[Experiment]) -> dict[str, Any]:
    mode = metric_mode(name)
    traces = []
    for e in chosen:
        steps, values = series(e.history, name)
        if not steps:
            continue
        traces.append({
            "type": "scatter", "mode": "lines+markers",
            "name": _plotly_text(e.label), "meta": e.experiment_id,
            "x": steps, "y": [_finite_or_none(v) for v in values],
            "customdata": [exact_text(v) for v in values],
            "hovertemplate": "%{customdata}<extra>%{fullData.name}</extra>",
            "line": {"color": e.color}, "marker": {"color": e.color, "size": 6},
        })
    better = "lower" if mode == "min" else "higher"
    steps = [x for trace in traces for x in trace["x"]]
    xaxis: dict[str, Any] = {"title": {"text": "step"}, "zeroline": False}
    if steps and all(isinstance(x, int) for x in steps) and max(steps) - min(steps) <= 12:
        xaxis["dtick"] = 1  # a few epochs: no 1.5, 2.5 ticks
    return {
        "data": traces,
        "layout": {
            "title": {"text": f"{_plotly_text(name)} <span style='font-size:12px'>"
                              f"({better} is better)</span>"},
            "xaxis": xaxis,
            "yaxis": {"title": {"text": _plotly_text(name)}, "zeroline": False,
                      "exponentformat": "power"},
            "hovermode": "x unified",
            "showlegend": False,  # one legend for all plots, on the page (same colours)
            "template": "plotly_white",
            "margin": {"l": 64, "r": 16, "t": 48, "b": 56},
            "uirevision": name,
        },
    }


def metrics_view(manager: ExperimentManager, ids: Iterable[str]) -> dict[str, Any]:
    """One line plot per metric (first-seen order), one trace per experiment that logged it."""
    chosen, missing = select(manager, ids)
    names: list[str] = []
    for e in chosen:
        names += [n for n in metric_names(e.history) if n not in names]
    return {**_envelope(chosen, missing),
            "records": {e.experiment_id: len(e.history) for e in chosen},
            "metrics": [{"name": n, "mode": metric_mode(n), "figure": _metric_figure(n, chosen)}
                        for n in names]}


def hyperparameter_rows(tables: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows over the union of keys (first-seen order, differing rows first). A row differs
    if any two experiments disagree (a missing key counts as a value); a cell is `changed`
    if it differs from the first experiment's, the baseline column."""
    keys = list(dict.fromkeys(k for table in tables for k in table))
    absent = object()
    rows = []
    for key in keys:
        values = [table.get(key, absent) for table in tables]
        base = values[0] if values else absent

        def same(a: Any, b: Any = base) -> bool:
            if a is absent or b is absent:
                return a is b
            return same_value(a, b)

        changed = [not same(v) for v in values]
        differs = any(not same(v, values[0]) for v in values[1:]) if values else False
        rows.append({
            "key": key, "differs": differs, "changed": changed,
            "values": [MISSING if v is absent else compact_text(v) for v in values],
            "exact": [MISSING if v is absent else exact_text(v) for v in values],
        })
    rows.sort(key=lambda r: not r["differs"])  # stable: first-seen order within each group
    return rows


def hyperparameters_view(manager: ExperimentManager, ids: Iterable[str]) -> dict[str, Any]:
    chosen, missing = select(manager, ids)
    rows = hyperparameter_rows([e.hyperparameters for e in chosen])
    return {**_envelope(chosen, missing), "rows": rows,
            "differing": sum(r["differs"] for r in rows), "total": len(rows)}


def best_view(manager: ExperimentManager, ids: Iterable[str]) -> dict[str, Any]:
    """Best value of each metric per experiment (min for losses, max otherwise): a grouped
    bar chart of the first BEST_METRICS_LIMIT metrics, and a table of all of them."""
    chosen, missing = select(manager, ids)
    table = best_metric_table({e.label: e.history for e in chosen})
    rows = [{"metric": name, "mode": mode, "winner": winner,
             "values": [{"value": _finite_or_none(v), "step": step, "text": compact_text(v),
                         "exact": exact_text(v)} for v, step in cells]}
            for name, mode, cells, winner in table]
    shown = rows[:BEST_METRICS_LIMIT]
    traces = []
    for i, e in enumerate(chosen):
        cells = [row["values"][i] for row in shown]
        traces.append({
            "type": "bar", "name": _plotly_text(e.label), "meta": e.experiment_id,
            "x": [_plotly_text(row["metric"]) for row in shown],
            "y": [c["value"] for c in cells],
            "text": [c["text"] if c["value"] is not None else "" for c in cells],
            "textposition": "auto",
            "customdata": [[c["exact"], MISSING if c["step"] is None else c["step"],
                            row["mode"]] for c, row in zip(cells, shown, strict=True)],
            "hovertemplate": "%{x}: <b>%{customdata[0]}</b> at step %{customdata[1]} "
                             "(best = %{customdata[2]})<extra>%{fullData.name}</extra>",
            "marker": {"color": e.color},
        })
    figure = {
        "data": traces,
        "layout": {
            "barmode": "group", "template": "plotly_white",
            "title": {"text": "Best value of each metric"},
            "xaxis": {"tickmode": "array",
                      "tickvals": [_plotly_text(r["metric"]) for r in shown],
                      "ticktext": [f"{_plotly_text(r['metric'])} {_ARROW[r['mode']]}"
                                   for r in shown]},
            "yaxis": {"title": {"text": "best value"}, "exponentformat": "power"},
            "legend": {"orientation": "h", "y": -0.2},
            "uniformtext": {"minsize": 9, "mode": "hide"},
            "margin": {"l": 64, "r": 16, "t": 48, "b": 48},
            "uirevision": "best",
        },
    }
    return {**_envelope(chosen, missing), "rows": rows, "shown": len(shown),
            "total": len(rows), "limit": BEST_METRICS_LIMIT, "figure": figure}


def summary_view(manager: ExperimentManager, ids: Iterable[str]) -> dict[str, Any]:
    """A card per experiment: status and times from metadata.json, counts and latest values
    from metrics.jsonl itself (summary.json is only written when a run closes)."""
    chosen, missing = select(manager, ids)
    cards = []
    for e in chosen:
        stats = summarize(e.history)
        meta = e.meta
        cards.append({
            **e.brief(),
            "start_time": meta.get("start_time"), "end_time": meta.get("end_time"),
            "duration_s": meta.get("duration_s"),
            "tags": {str(k): str(v) for k, v in (meta.get("tags") or {}).items()},
            "notes": meta.get("notes") or "", "error": meta.get("error") or "",
            "metric_records": len(e.history),
            "latest": [{"metric": name, "mode": s["mode"], "step": s["last_step"],
                        "text": compact_text(s["last"]), "exact": exact_text(s["last"])}
                       for name, s in stats.items()],
        })
    return {**_envelope(chosen, missing), "cards": cards}


VIEWS = {
    "metrics": metrics_view,
    "hyperparameters": hyperparameters_view,
    "best": best_view,
    "summary": summary_view,
}
