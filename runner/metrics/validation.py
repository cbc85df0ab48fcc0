"""Metrics beyond loss and accuracy, computed on the validation split after each epoch from the
model's outputs: the built-in names of compiler.vocab.VALIDATION_METRICS (scikit-learn does the
arithmetic) and any Python callable `fn(y_true, y_pred) -> float`.

y_true is the validation labels as the dataset holds them (class indices, or (N, k) values);
y_pred is the model's raw outputs (N, units). Both loops hand this module numpy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from compiler.metrics import validation_name
from compiler.vocab import VALIDATION_METRICS

CLASS, REGRESSION = "classification", "regression"
MetricSpec = str | Callable[[Any, Any], float]


def _labels(y_pred: np.ndarray, kind: str) -> np.ndarray:
    flat = y_pred.reshape(len(y_pred), -1)
    return (flat[:, 0] > 0.5).astype(np.int64) if kind == "binary" else flat.argmax(axis=1)


def _averaged(fn: Callable) -> Callable:
    """Binary sets score the positive class; more classes take the macro average."""
    def score(y_true: np.ndarray, y_pred: np.ndarray, kind: str) -> float:
        average = "binary" if kind == "binary" else "macro"
        return float(fn(y_true, _labels(y_pred, kind), average=average, zero_division=0))
    return score


def _auc(y_true: np.ndarray, y_pred: np.ndarray, kind: str) -> float:
    from sklearn.metrics import roc_auc_score

    flat = y_pred.reshape(len(y_pred), -1)
    present = np.unique(y_true)
    if len(present) < 2:
        return math.nan  # undefined with one class in the validation split
    if kind == "binary" or flat.shape[1] == 1:
        return float(roc_auc_score(y_true, flat[:, 0]))
    # One-vs-rest per class seen in the split, macro-averaged (outputs need not sum to 1).
    scores = [roc_auc_score(y_true == c, flat[:, int(c)]) for c in present]
    return float(np.mean(scores))


def _regression(fn_name: str) -> Callable:
    def score(y_true: np.ndarray, y_pred: np.ndarray, kind: str) -> float:
        import sklearn.metrics as m

        return float(getattr(m, fn_name)(y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_pred), -1)))
    return score


def _table() -> dict[str, tuple[str, Callable]]:
    import sklearn.metrics as m

    return {
        "f1": (CLASS, _averaged(m.f1_score)),
        "precision": (CLASS, _averaged(m.precision_score)),
        "recall": (CLASS, _averaged(m.recall_score)),
        "auc": (CLASS, _auc),
        "mae": (REGRESSION, _regression("mean_absolute_error")),
        "mse": (REGRESSION, _regression("mean_squared_error")),
        "r2": (REGRESSION, _regression("r2_score")),
    }


def builtin_name(name: str) -> str | None:
    """'f1' or 'val_f1' -> 'f1'; None for a name that is not a built-in validation metric."""
    base = name[4:] if name.startswith("val_") else name
    return base if base in VALIDATION_METRICS else None


def record_key(metric: MetricSpec) -> str:
    """The key a metric has in each epoch's record: val_<name>."""
    if callable(metric):
        name = getattr(metric, "__name__", "") or ""
        name = name if name.isidentifier() else "custom_metric"  # a lambda is '<lambda>'
        return name if name.startswith("val_") else f"val_{name}"
    base = builtin_name(metric)
    if base is None:
        raise ValueError(f"unknown metric {metric!r}: use {', '.join(VALIDATION_METRICS)} or a callable")
    return f"val_{base}"


def canonical(metric: MetricSpec) -> str:
    """What the search watches: a built-in validation metric or callable as its record key;
    any other name (loss, val_loss, accuracy, ...) unchanged."""
    if callable(metric):
        return record_key(metric)
    return validation_name(builtin_name(metric) or metric)


def extra_metrics(metrics: Iterable[MetricSpec | None]) -> tuple[MetricSpec, ...]:
    """The metrics a loop must compute itself: callables and built-in validation names;
    loss/accuracy and their val_ forms come from the loop already."""
    out: list[MetricSpec] = []
    for m in metrics:
        if m is not None and (callable(m) or builtin_name(m) is not None) and m not in out:
            out.append(m)
    return tuple(out)


@dataclass
class ValidationMetrics:
    """Computes the requested extras from one epoch's validation outputs."""

    specs: Sequence[MetricSpec]
    y_true: np.ndarray
    kind: str | None  # "argmax", "binary" or None (regression), as targets.accuracy
    functions: dict[str, Callable]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.functions)

    def compute(self, y_pred: Any) -> dict[str, float]:
        y_pred = np.asarray(y_pred)
        out: dict[str, float] = {}
        for key, fn in self.functions.items():
            try:
                value = fn(self.y_true, y_pred)
            except Exception as exc:
                raise MetricError(f"metric {key[4:]!r} failed: {type(exc).__name__}: {exc}") from exc
            try:
                out[key] = float(value)
            except (TypeError, ValueError):
                raise MetricError(f"metric {key[4:]!r} returned {type(value).__name__}, not a number") from None
        return out


class MetricError(ValueError):
    """A requested metric cannot be computed on this dataset or model (a user error)."""


def prepare(specs: Sequence[MetricSpec], y_val: np.ndarray | None, kind: str | None,
            dataset: str) -> ValidationMetrics | None:
    """Check every requested metric fits the data before training starts; None if none asked."""
    if not specs:
        return None
    if y_val is None:
        raise MetricError(f"metric {_show(specs[0])} is computed on the validation split: "
                          "set validation_split > 0")
    table = _table() if any(not callable(s) for s in specs) else {}
    functions: dict[str, Callable] = {}
    task = CLASS if kind is not None else REGRESSION
    for spec in specs:
        key = record_key(spec)
        if callable(spec):
            functions[key] = spec
            continue
        needs, fn = table[builtin_name(spec)]
        if needs != task:
            raise MetricError(f"metric {spec!r} needs a {needs} dataset, but {dataset!r} is a {task} set")
        functions[key] = lambda t, p, fn=fn: fn(t, p, kind)
    return ValidationMetrics(specs, y_val, kind, functions)


def _show(spec: MetricSpec) -> str:
    return repr(spec) if isinstance(spec, str) else repr(record_key(spec)[4:])
