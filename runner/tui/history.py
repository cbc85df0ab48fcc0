"""Full metric series of one experiment, for the detail and compare views.

The table keeps only statistics; a view that draws curves keeps one of these per
experiment it shows, and each poll parses only the lines appended since the last.
"""

from __future__ import annotations

import os
from pathlib import Path

from runner.tracking.tracker import METRICS_FILE
from runner.tracking.values import RESERVED_METRIC_KEYS, TEXT_TO_FLOAT
from runner.tui.tail import JsonlTail


class SeriesReader:
    """(steps, values) per metric name, in logging order."""

    def __init__(self, experiment_dir: str | os.PathLike[str]) -> None:
        self.tail = JsonlTail(Path(experiment_dir) / METRICS_FILE)
        self.series: dict[str, tuple[list[float], list[float]]] = {}
        self.records = 0

    def poll(self, max_bytes: int | None = None) -> bool:
        """Read what was appended; True if any series changed."""
        got = self.tail.read(max_bytes=max_bytes)
        if got.reset:
            self.series = {}
            self.records = 0
        series = self.series
        for record in got.records:
            step = record.get("step")
            if type(step) is not int:
                step = self.records
            self.records += 1
            for name, value in record.items():
                if name in RESERVED_METRIC_KEYS:
                    continue
                if type(value) is str:
                    value = TEXT_TO_FLOAT.get(value)
                    if value is None:
                        continue
                elif type(value) is not float and type(value) is not int:
                    continue
                pair = series.get(name)
                if pair is None:
                    pair = series[name] = ([], [])
                pair[0].append(step)
                pair[1].append(value)
        return bool(got.records or got.reset)

    def names(self) -> list[str]:
        return list(self.series)


def downsample(xs: list[float], ys: list[float], limit: int) -> tuple[list[float], list[float]]:
    """At most ~`limit` points: per bucket the lowest and highest value, so spikes survive."""
    n = len(xs)
    if n <= limit or limit < 4:
        return xs, ys
    buckets = limit // 2
    out_x: list[float] = []
    out_y: list[float] = []
    for b in range(buckets):
        lo, hi = b * n // buckets, (b + 1) * n // buckets
        if lo >= hi:
            continue
        chunk = range(lo, hi)
        finite = [i for i in chunk if ys[i] == ys[i] and abs(ys[i]) != float("inf")]
        if not finite:
            continue
        i_min = min(finite, key=ys.__getitem__)
        i_max = max(finite, key=ys.__getitem__)
        for i in sorted({i_min, i_max}):
            out_x.append(xs[i])
            out_y.append(ys[i])
    return out_x, out_y
