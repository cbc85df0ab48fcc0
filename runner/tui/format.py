"""Short text forms of numbers, times, sizes and series for table cells."""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Sequence
from typing import Any

SPARK = "▁▂▃▄▅▆▇█"
_DURATION_UNITS = ((86400, "d", 3600, "h"), (3600, "h", 60, "m"), (60, "m", 1, "s"))


def number(value: Any) -> str:
    """4 significant digits; ints as they are; nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}"
    return str(value)


def value(item: Any, limit: int = 28, exact: bool = False) -> str:
    """A hyperparameter value in one short cell (`exact`: floats in full)."""
    if item is None:
        return "null"
    if isinstance(item, float) and exact and math.isfinite(item):
        return repr(item)
    if isinstance(item, (bool, int, float)):
        return number(item)
    text = item if isinstance(item, str) else json.dumps(item, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    for size, unit, sub, sub_unit in _DURATION_UNITS:
        if seconds >= size:
            major, rest = divmod(int(seconds), size)
            return f"{major}{unit}{rest // sub:02d}{sub_unit}"
    return f"{seconds:.0f}s"  # pragma: no cover - the loop always returns


def start(timestamp: float | None, pattern: str = "%m-%d %H:%M") -> str:
    """A local time; "?" for a timestamp no clock can show (a damaged file may hold 1e300)."""
    if timestamp is None:
        return ""
    try:
        return _dt.datetime.fromtimestamp(timestamp).strftime(pattern)
    except (OverflowError, OSError, ValueError, TypeError):
        return "?"


def size(n: int | None) -> str:
    if n is None:
        return ""
    amount = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{n} B"  # pragma: no cover


def sparkline(values: Sequence[float], width: int = 16) -> str:
    """Values squeezed into `width` bars (bucket means); NaN and inf leave a gap."""
    finite = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if not finite or width <= 0:
        return ""
    low, high = min(finite), max(finite)
    span = high - low
    n = len(values)
    buckets = min(width, n)
    out = []
    for b in range(buckets):
        chunk = values[b * n // buckets:(b + 1) * n // buckets]
        good = [v for v in chunk if isinstance(v, (int, float)) and math.isfinite(v)]
        if not good:
            out.append(" ")
            continue
        mean = sum(good) / len(good)
        level = 0 if span == 0 else int((mean - low) / span * (len(SPARK) - 1) + 0.5)
        out.append(SPARK[level])
    return "".join(out)
