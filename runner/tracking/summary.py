"""Statistics over a metric history: per-metric series, best values, the summary.json body.

A history is a list of records {"step": int, "timestamp": float, <metric>: number, ...}
with non-finite values already decoded to floats. NaN never counts as a best value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from compiler.metrics import metric_mode
from runner.tracking.values import RESERVED_METRIC_KEYS

__all__ = ["best", "metric_mode", "metric_names", "series", "summarize"]


def metric_names(history: Iterable[Mapping[str, Any]]) -> list[str]:
    """Metric names in first-seen order."""
    seen: dict[str, None] = {}
    for record in history:
        for key in record:
            if key not in RESERVED_METRIC_KEYS:
                seen.setdefault(key, None)
    return list(seen)


def series(
    history: Sequence[Mapping[str, Any]], name: str
) -> tuple[list[int], list[float]]:
    """(steps, values) of one metric, in logging order."""
    steps, values = [], []
    for i, record in enumerate(history):
        if name in record:
            value = record[name]
            if isinstance(value, (int, float)):
                steps.append(record.get("step", i))
                values.append(value)
    return steps, values


def best(
    history: Sequence[Mapping[str, Any]], name: str, mode: str = "max"
) -> tuple[float | None, int | None]:
    """(best value, its step) of a metric; (None, None) if it has no finite value."""
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    best_value: float | None = None
    best_step: int | None = None
    for step, value in zip(*series(history, name), strict=True):
        if isinstance(value, float) and math.isnan(value):
            continue
        if best_value is None or (value > best_value if mode == "max" else value < best_value):
            best_value, best_step = value, step
    return best_value, best_step


def summarize(history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The metrics part of summary.json: count, last, min, max (with steps) per metric."""
    out: dict[str, Any] = {}
    for name in metric_names(history):
        steps, values = series(history, name)
        low, low_step = best(history, name, "min")
        high, high_step = best(history, name, "max")
        out[name] = {
            "count": len(values),
            "last": values[-1] if values else None,
            "last_step": steps[-1] if steps else None,
            "min": low, "min_step": low_step,
            "max": high, "max_step": high_step,
            "mode": metric_mode(name),
        }
    return out
