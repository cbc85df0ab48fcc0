"""The exported comparison: a folder with PNG plots, comparison.json and index.html.

The HTML is static and self-contained apart from the PNGs next to it, so it can be
attached to a ticket or served from any folder. Every value from the store is escaped:
experiment names and hyperparameters are user text.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.tracking.history import load_history
from runner.tracking.integrations import flatten
from runner.tracking.store import read_json, write_json
from runner.tracking.summary import best, metric_mode, metric_names
from runner.tracking.tracker import HYPERPARAMETERS_FILE, METADATA_FILE
from runner.tracking.values import from_json, to_json
from runner.tracking.visualizer import MetricVisualizer

if TYPE_CHECKING:
    from runner.tracking.manager import ExperimentManager

_MISSING = "—"
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;font-size:.9em}
th{background:#f3f3f3} tr.diff td{background:#fff4d6} td.best{font-weight:bold;color:#0a6b2d}
img{max-width:48%;margin:.5em;border:1px solid #eee} .muted{color:#888}
"""


def _fmt(value: Any) -> str:
    if value is None:
        return _MISSING
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def hyperparameter_table(
    hyperparameters: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, list[str], bool]]:
    """Rows (name, value per experiment, differs?) over the union of flattened keys,
    rows that differ first."""
    flat = {label: flatten(hp) for label, hp in hyperparameters.items()}
    keys = sorted({k for hp in flat.values() for k in hp})
    rows = []
    for key in keys:
        cells = [_fmt(flat[label].get(key)) for label in flat]
        rows.append((key, cells, len(set(cells)) > 1))
    rows.sort(key=lambda r: (not r[2], r[0]))
    return rows


def best_metric_table(
    histories: Mapping[str, Sequence[Mapping[str, Any]]], metrics: Sequence[str] | None = None
) -> list[tuple[str, str, list[tuple[float | None, int | None]], int | None]]:
    """Rows (metric, mode, (best, step) per experiment, index of the winner)."""
    names: list[str] = list(metrics) if metrics else []
    if not metrics:
        for history in histories.values():
            names += [n for n in metric_names(history) if n not in names]
    rows = []
    for name in names:
        mode = metric_mode(name)
        cells = [best(history, name, mode) for history in histories.values()]
        scored = [(v, i) for i, (v, _) in enumerate(cells) if v is not None]
        winner = None
        if scored:
            winner = (max(scored) if mode == "max" else min(scored))[1]
        rows.append((name, mode, cells, winner))
    return rows


def render_html(
    experiments: list[dict[str, Any]],
    hp_rows: list[tuple[str, list[str], bool]],
    metric_rows: list[tuple[str, str, list[tuple[float | None, int | None]], int | None]],
    plots: Mapping[str, str],
) -> str:
    e = html.escape
    labels = [f"{x['experiment_name']} ({x['experiment_id']})" for x in experiments]
    head = "".join(f"<th>{e(label)}</th>" for label in labels)
    out = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Experiment comparison: {e(', '.join(labels))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Experiment comparison</h1>",
        f"<p class='muted'>Generated {e(_dt.datetime.now().astimezone().isoformat(timespec='seconds'))}</p>",
        "<h2>Experiments</h2><table><tr><th>id</th><th>name</th><th>status</th><th>started</th>"
        "<th>duration (s)</th><th>tags</th><th>metric records</th></tr>",
    ]
    for x in experiments:
        tags = ", ".join(f"{k}={v}" if v else k for k, v in (x.get("tags") or {}).items())
        out.append(
            f"<tr><td>{e(x['experiment_id'])}</td><td>{e(str(x['experiment_name']))}</td>"
            f"<td>{e(str(x.get('status')))}</td><td>{e(_fmt(x.get('start_time')))}</td>"
            f"<td>{e(_fmt(x.get('duration_s')))}</td><td>{e(tags)}</td>"
            f"<td>{x.get('metric_records', 0)}</td></tr>"
        )
    out.append("</table>")
    differing = sum(1 for row in hp_rows if row[2])
    out.append(f"<h2>Hyperparameters</h2><p>{differing} of {len(hp_rows)} differ "
               "(highlighted, listed first).</p>")
    out.append(f"<table id='hyperparameters'><tr><th>hyperparameter</th>{head}</tr>")
    for key, cells, differs in hp_rows:
        cls = " class='diff'" if differs else ""
        out.append(f"<tr{cls}><td>{e(key)}</td>" + "".join(f"<td>{e(c)}</td>" for c in cells)
                   + "</tr>")
    out.append("</table>")
    out.append("<h2>Best metrics</h2><p>Best value per experiment (step in brackets); "
               "the winner of each row is in bold.</p>")
    out.append(f"<table id='best-metrics'><tr><th>metric</th><th>best is</th>{head}</tr>")
    for name, mode, cells, winner in metric_rows:
        tds = []
        for i, (value, step) in enumerate(cells):
            cls = " class='best'" if i == winner else ""
            text = _MISSING if value is None else f"{_fmt(value)} (step {step})"
            tds.append(f"<td{cls}>{e(text)}</td>")
        out.append(f"<tr><td>{e(name)}</td><td>{mode}</td>{''.join(tds)}</tr>")
    out.append("</table><h2>Plots</h2>")
    for name, path in plots.items():
        out.append(f"<img src='{e(Path(path).name, quote=True)}' alt='{e(name, quote=True)}'>")
    out.append("</body></html>")
    return "\n".join(out)


def export_comparison(
    manager: ExperimentManager,
    ids: Sequence[str],
    output_dir: str | os.PathLike[str] | None = None,
    metrics: Sequence[str] | None = None,
) -> str:
    """Write the comparison of `ids` to `output_dir` (default: <base>/comparisons/<time>)."""
    if not ids:
        raise ValueError("export_comparison needs at least one experiment id")
    folders = [manager.resolve(i) for i in dict.fromkeys(ids)]
    experiments, histories, hyperparameters = [], {}, {}
    for folder in folders:
        meta = read_json(folder / METADATA_FILE) or {}
        label = f"{meta.get('experiment_name')} ({meta.get('experiment_id')})"
        history = load_history(folder)
        histories[label] = history
        hyperparameters[label] = from_json(read_json(folder / HYPERPARAMETERS_FILE, {}) or {})
        experiments.append({**meta, "metric_records": len(history)})
    if output_dir is None:
        stamp = _dt.datetime.now().strftime("%Y%m%d_%H%M%S")
        output_dir = manager.base_dir / "comparisons" / f"comparison_{stamp}"
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = MetricVisualizer.create_comparison_plots(histories, metrics=metrics)
    plots = MetricVisualizer.save_figures(figures, out)
    hp_rows = hyperparameter_table(hyperparameters)
    metric_rows = best_metric_table(histories, metrics)
    (out / "index.html").write_text(
        render_html(experiments, hp_rows, metric_rows, plots), encoding="utf-8"
    )
    labels = list(histories)
    write_json(out / "comparison.json", to_json({
        "experiments": [{"experiment_id": x.get("experiment_id"),
                         "experiment_name": x.get("experiment_name"),
                         "status": x.get("status"), "experiment_dir": str(f)}
                        for x, f in zip(experiments, folders, strict=True)],
        "hyperparameters": {key: dict(zip(labels, cells, strict=True))
                            for key, cells, _ in hp_rows},
        "differing_hyperparameters": [key for key, _, differs in hp_rows if differs],
        "best_metrics": {name: {"mode": mode, "values": {
            label: {"value": v, "step": s} for label, (v, s) in zip(labels, cells, strict=True)}}
            for name, mode, cells, _ in metric_rows},
        "plots": {name: Path(p).name for name, p in plots.items()},
    }, "comparison"))
    return str(out)
