"""An experiment's metric log read back whole (manager, report, the web UI): apart from
manager.py so that report.py can read a log without importing the manager that imports it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner.tracking.paths import METRICS_FILE
from runner.tracking.reading import CorruptExperiment, Problem, log_problem
from runner.tracking.store import read_jsonl
from runner.tracking.values import decode_metric


def load_history(folder: Path) -> list[dict[str, Any]]:
    """The metric records of an experiment folder, NaN/inf decoded; CorruptExperiment if
    its log cannot be read as one."""
    problem = log_problem(folder)
    if problem is not None:
        raise CorruptExperiment(folder, problem)
    try:
        records = read_jsonl(folder / METRICS_FILE)
    except OSError as exc:
        raise CorruptExperiment(folder, log_problem(folder) or _unreadable(exc)) from exc
    for record in records:
        for key, value in record.items():
            if type(value) is str:
                record[key] = decode_metric(value)
    return records


def _unreadable(exc: OSError) -> Problem:
    return Problem("unreadable", METRICS_FILE, f"cannot be read ({exc.strerror or exc})")


__all__ = ["load_history"]
