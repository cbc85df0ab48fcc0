"""What the TUI knows about one experiment folder, kept up to date piece by piece.

`ExperimentState` holds the table's view of an experiment: metadata fields, flattened
hyperparameters and running statistics per metric (count, latest, best), never the whole
metric history, so a thousand experiments of ten thousand points each fit in little memory.
Statistics come from summary.json when it is known to cover the whole log, otherwise from
folding in the records of metrics.jsonl as they are appended.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.tracking.integrations import flatten
from runner.tracking.paths import ENDED, STATUSES
from runner.tracking.reading import PROBLEM_STATUSES, Problem, check_metadata
from runner.tracking.summary import metric_mode
from runner.tracking.values import RESERVED_METRIC_KEYS, TEXT_TO_FLOAT, from_json

__all__ = ["ENDED", "STATUSES", "PROBLEM_STATUSES", "ExperimentState", "MetricStats"]


@dataclass(slots=True)
class MetricStats:
    """Running statistics of one metric; NaN is never a best value."""

    mode: str
    count: int = 0
    last: float | None = None
    last_step: int | None = None
    best: float | None = None
    best_step: int | None = None


@dataclass
class ExperimentState:
    key: str  # folder name: unique in the base folder, stable, what the manager resolves
    path: Path
    experiment_id: str
    name: str
    status: str = "incomplete"
    problem: str | None = None  # why the folder is shown as corrupt/incomplete/unreadable
    warnings: list[str] = field(default_factory=list)  # readable, but something is off
    start_timestamp: float | None = None
    start_time: str | None = None
    end_time: str | None = None
    duration_s: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    notes: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    hyperparameters: dict[str, Any] = field(default_factory=dict)  # flattened "a.b" keys
    hp_tokens: dict[str, str] = field(default_factory=dict)  # canonical JSON per value
    metrics: dict[str, MetricStats] = field(default_factory=dict)
    records: int = 0
    last_step: int | None = None
    last_update: float | None = None  # mtime of metrics.jsonl
    bad_lines: int = 0
    torn_tail: bool = False
    version: int = 0  # bumped on every change, so views can cache what they derived

    @property
    def readable(self) -> bool:
        return self.status not in PROBLEM_STATUSES

    @property
    def mirrors(self) -> list[dict[str, Any]]:
        mirrors = self.metadata.get("mirrors")
        return [m for m in mirrors if isinstance(m, dict)] if isinstance(mirrors, list) else []

    # ---------------------------------------------------------------- metadata

    def apply_metadata(self, meta: Any) -> None:
        """Take the fields of metadata.json; a document of the wrong shape marks it corrupt."""
        problem = check_metadata(meta)
        if problem is not None:
            self.mark_problem(problem)
            return
        self.problem = None
        self.metadata = meta
        self.experiment_id = meta["experiment_id"]
        self.name = str(meta.get("experiment_name") or self.name)
        self.status = str(meta.get("status") or "running")
        self.start_timestamp = _number(meta.get("start_timestamp"))
        self.start_time = _text(meta.get("start_time"))
        self.end_time = _text(meta.get("end_time"))
        self.duration_s = _number(meta.get("duration_s"))
        tags = meta.get("tags")
        self.tags = {str(k): "" if v is None else str(v) for k, v in tags.items()} \
            if isinstance(tags, dict) else {}
        self.notes = str(meta.get("notes") or "")

    def mark_problem(self, problem: Problem) -> None:
        self.status = problem.status
        self.problem = str(problem)

    def apply_hyperparameters(self, params: Any) -> None:
        flat = flatten(from_json(params)) if isinstance(params, dict) else {}
        self.hyperparameters = flat
        self.hp_tokens = {k: token(v) for k, v in flat.items()}

    # ----------------------------------------------------------------- metrics

    def reset_metrics(self) -> None:
        self.metrics = {}
        self.records = 0
        self.last_step = None
        self.bad_lines = 0

    def apply_summary(self, summary: Any) -> bool:
        """Statistics from summary.json; False if it does not have the expected shape (the
        caller then reads the log instead)."""
        if not isinstance(summary, dict) or not isinstance(summary.get("metrics"), dict) \
                or _int(summary.get("metric_records")) is None:
            return False
        stats: dict[str, MetricStats] = {}
        last_step = None
        for name, s in summary["metrics"].items():
            if not isinstance(s, dict) or _int(s.get("count")) is None:
                return False
            mode = s.get("mode") if s.get("mode") in ("min", "max") else metric_mode(name)
            item = MetricStats(
                mode=mode, count=s["count"], last=_number(s.get("last")),
                last_step=_int(s.get("last_step")), best=_number(s.get(mode)),
                best_step=_int(s.get(f"{mode}_step")),
            )
            stats[name] = item
            if item.last_step is not None and (last_step is None or item.last_step > last_step):
                last_step = item.last_step
        self.metrics = stats
        self.records = summary["metric_records"]
        self.last_step = last_step
        return True

    def absorb(self, records: list[dict[str, Any]]) -> None:
        """Fold newly appended metric records into the statistics."""
        metrics = self.metrics
        last_step = self.last_step
        for record in records:
            step = record.get("step")
            if type(step) is not int:
                step = None
            elif last_step is None or step > last_step:
                last_step = step
            for name, value in record.items():
                if name in RESERVED_METRIC_KEYS:
                    continue
                kind = type(value)
                if kind is str:
                    value = TEXT_TO_FLOAT.get(value)
                    if value is None:
                        continue
                elif kind is not float and kind is not int:
                    continue
                stats = metrics.get(name)
                if stats is None:
                    stats = metrics[name] = MetricStats(metric_mode(name))
                stats.count += 1
                stats.last = value
                stats.last_step = step
                if value == value:  # not NaN
                    best = stats.best
                    if best is None or (value < best if stats.mode == "min" else value > best):
                        stats.best = value
                        stats.best_step = step
        self.records += len(records)
        self.last_step = last_step


def token(value: Any) -> str:
    """A canonical text form, so 'differs between runs' compares values, not objects."""
    try:
        return json.dumps(value, sort_keys=True, allow_nan=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and value in TEXT_TO_FLOAT:
        return TEXT_TO_FLOAT[value]
    return None


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
