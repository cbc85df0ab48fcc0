"""Turning user values into strict JSON and back.

JSON has no NaN or infinity, and numpy / torch scalars are not JSON types. Metrics are
always numbers, so a non-finite metric is stored as the string "NaN", "Infinity" or
"-Infinity" (unambiguous in a numeric field, and still strict JSON that jq and browsers
read). Hyperparameters can hold strings, so there a non-finite float becomes the tagged
object {"$float": "NaN"}. Anything else JSON cannot hold is a clear error, never a
silent str().
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from runner.tracking.errors import MetricValueError

RESERVED_METRIC_KEYS = frozenset({"step", "timestamp"})

_FLOAT_TO_TEXT = {math.inf: "Infinity", -math.inf: "-Infinity"}
TEXT_TO_FLOAT = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_FLOAT_TAG = "$float"


def _float_text(value: float) -> str:
    return "NaN" if value != value else _FLOAT_TO_TEXT[value]


def _element_count(value: Any) -> int | None:
    """Number of elements of an array-like (torch: numel(), numpy: .size), if it says."""
    numel = getattr(value, "numel", None)
    if callable(numel):
        return int(numel())
    size = getattr(value, "size", None)
    return size if isinstance(size, int) else None


def metric_scalar(name: str, value: Any) -> int | float:
    """A plain int or float for a metric value: numpy / torch scalars unwrapped, else an error."""
    kind = type(value)
    if kind is float or kind is int:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        count = _element_count(value)
        if count is not None and count != 1:
            shape = getattr(value, "shape", None)
            raise MetricValueError(
                f"metric {name!r} must be a scalar, got {type(value).__name__} with "
                f"{count} elements (shape {tuple(shape) if shape is not None else '?'}); "
                "log a reduction such as .mean() instead"
            )
        inner = item()
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return inner
        if isinstance(inner, bool):
            return int(inner)
        raise MetricValueError(
            f"metric {name!r} must be a real number, got {type(value).__name__} holding "
            f"{type(inner).__name__} {inner!r}"
        )
    raise MetricValueError(
        f"metric {name!r} must be a real number, got {type(value).__name__} {_short(value)}"
    )


def metric_record(metrics: Mapping[str, Any]) -> dict[str, int | float | str]:
    """Validated, JSON-ready metric values: non-finite floats become their text form."""
    if not isinstance(metrics, Mapping):
        raise MetricValueError(
            f"metrics must be a mapping of name -> number, got {type(metrics).__name__}"
        )
    out: dict[str, int | float | str] = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not name:
            raise MetricValueError(f"metric names must be non-empty strings, got {name!r}")
        if name in RESERVED_METRIC_KEYS:
            raise MetricValueError(
                f"metric name {name!r} is reserved (every record already has 'step' and "
                "'timestamp'); pick another name"
            )
        number = metric_scalar(name, value)
        if type(number) is float and not math.isfinite(number):
            out[name] = _float_text(number)
        else:
            out[name] = number
    return out


def decode_metric(value: Any) -> Any:
    """The float behind a stored metric value ("NaN" -> nan); other values unchanged."""
    if type(value) is str:
        return TEXT_TO_FLOAT.get(value, value)
    return value


def to_json(value: Any, where: str = "value") -> Any:
    """A strict-JSON copy of a hyperparameter-like value; TypeError naming `where` if impossible."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else {_FLOAT_TAG: _float_text(value)}
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where}: key {key!r} is a {type(key).__name__}; JSON object keys must "
                    "be strings"
                )
            out[key] = to_json(item, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return to_json(float(value), where)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):  # numpy arrays and scalars, torch tensors
        return to_json(tolist(), where)
    raise TypeError(
        f"{where}: {type(value).__name__} {_short(value)} cannot be stored as JSON; "
        "convert it to a str, number, list or dict first"
    )


def from_json(value: Any) -> Any:
    """Inverse of to_json: tagged non-finite floats become floats again."""
    if isinstance(value, dict):
        if len(value) == 1 and _FLOAT_TAG in value:
            return TEXT_TO_FLOAT.get(value[_FLOAT_TAG], math.nan)
        return {key: from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
