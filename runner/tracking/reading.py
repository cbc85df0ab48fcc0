"""Reading experiment folders without trusting them: the one place that decides what is healthy.

A folder can hold anything: a half-written or hand-edited metadata.json, a list where an
object belongs, a directory where the log belongs. Every reader (`neural track list / show /
compare`, the web UI, the TUI) reads through these functions, so a damaged experiment looks
the same everywhere: a `Problem` naming the file and the reason, shown with the status
`corrupt` (or `unreadable`, `incomplete`), while its healthy neighbours are listed as usual.
Nothing here raises for a bad file; the calls that need an experiment's data raise
`CorruptExperiment`, a TrackingError with that message.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.tracking.errors import TrackingError
from runner.tracking.paths import ENDED, METADATA_FILE, METRICS_FILE, STATUSES, SUMMARY_FILE

# Statuses a reader shows for folders it cannot read (beside the store's STATUSES).
PROBLEM_STATUSES = ("corrupt", "incomplete", "unreadable")
# Folder names the tracker creates: "<stem>_<8 hex digits>". Such a folder without
# metadata.json is being created (or is broken); other folders (hpo/, mlruns/) are not
# experiments at all.
EXPERIMENT_FOLDER = re.compile(r"^.+_[0-9a-f]{8}$")
GRACE_S = 3.0  # how long a new folder may lack metadata.json before it is "incomplete"


@dataclass(frozen=True)
class Problem:
    """Why an experiment cannot be shown normally: which file, what is wrong with it."""

    status: str  # one of PROBLEM_STATUSES
    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


class CorruptExperiment(TrackingError, ValueError):
    """An experiment whose files cannot be read as an experiment record (a ValueError, as a
    bad file is a bad value: callers that skip damaged folders keep doing so)."""

    def __init__(self, folder: str | os.PathLike[str], problem: Problem) -> None:
        super().__init__(f"experiment {Path(folder).name} is {problem.status}: {problem}")
        self.folder = Path(folder)
        self.problem = problem


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _count(value: Any) -> bool:
    return type(value) is int and value >= 0


# metadata.json: field -> (check, what it should be). Missing optional fields are fine.
_OPTIONAL = {
    "experiment_name": (lambda v: isinstance(v, str), "a string"),
    "status": (lambda v: v in STATUSES, f"one of {', '.join(STATUSES)}"),
    "start_time": (lambda v: v is None or isinstance(v, str), "an ISO time string"),
    "start_timestamp": (lambda v: v is None or _number(v), "a number (seconds since 1970)"),
    "end_time": (lambda v: v is None or isinstance(v, str), "an ISO time string or null"),
    "duration_s": (lambda v: v is None or _number(v), "a number or null"),
    "tags": (lambda v: isinstance(v, dict), "an object"),
    "notes": (lambda v: isinstance(v, str), "a string"),
    "backends": (lambda v: isinstance(v, list), "a list"),
    "mirrors": (lambda v: isinstance(v, list) and all(isinstance(m, dict) for m in v),
                "a list of objects"),
    "mirror_offset": (_count, "a byte offset"),
    "environment": (lambda v: v is None or isinstance(v, dict), "an object"),
    "error": (lambda v: v is None or isinstance(v, str), "a string"),
}


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), f"the number {value!r}"
                                    if isinstance(value, (int, float)) else type(value).__name__)


def read_document(path: str | os.PathLike[str]) -> tuple[Any, Problem | None]:
    """(document, None), or (None, the problem) for a missing, unreadable or invalid file."""
    name = os.path.basename(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None, Problem("incomplete", name, "is missing")
    except IsADirectoryError:
        return None, Problem("corrupt", name, "is a directory, not a file")
    except OSError as exc:
        return None, Problem("unreadable", name, f"cannot be read ({exc.strerror or exc})")
    if not data.strip():
        return None, Problem("corrupt", name, "is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, Problem("corrupt", name, f"is not UTF-8 text (byte {exc.start})")
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, Problem("corrupt", name, f"is not valid JSON ({exc})")
    except RecursionError:
        return None, Problem("corrupt", name, "is nested deeper than JSON can be read")


def check_metadata(meta: Any) -> Problem | None:
    """None if `meta` is a usable metadata.json document, else what is wrong with it."""
    if not isinstance(meta, dict):
        return Problem("corrupt", METADATA_FILE, f"holds {_kind(meta)}, not an experiment record")
    if not isinstance(meta.get("experiment_id"), str) or not meta["experiment_id"]:
        return Problem("corrupt", METADATA_FILE, "has no experiment_id")
    for key, (ok, expected) in _OPTIONAL.items():
        if key in meta and not ok(meta[key]):
            return Problem("corrupt", METADATA_FILE,
                           f"{key} is {_kind(meta[key])}; it should be {expected}")
    return None


def check_summary(summary: Any) -> Problem | None:
    """None if `summary` has the shape summary.json is written in."""
    if not isinstance(summary, dict):
        return Problem("corrupt", SUMMARY_FILE, f"holds {_kind(summary)}, not a summary")
    if not _count(summary.get("metric_records")):
        return Problem("corrupt", SUMMARY_FILE, "metric_records is not a count")
    metrics = summary.get("metrics")
    if not isinstance(metrics, dict):
        return Problem("corrupt", SUMMARY_FILE, "metrics is not an object")
    for name, stats in metrics.items():
        if not isinstance(stats, dict) or not _count(stats.get("count")):
            return Problem("corrupt", SUMMARY_FILE, f"the statistics of {name!r} are damaged")
    return None


def read_metadata(folder: str | os.PathLike[str]) -> tuple[dict[str, Any] | None, Problem | None]:
    """(metadata, None) for a healthy metadata.json, else (None, the problem)."""
    meta, problem = read_document(Path(folder) / METADATA_FILE)
    problem = problem or check_metadata(meta)
    return (None, problem) if problem else (meta, None)


def read_summary(
    folder: str | os.PathLike[str],
) -> tuple[dict[str, Any] | None, Problem | None]:
    """(summary, None); (None, None) if there is none yet; (None, problem) if damaged."""
    summary, problem = read_document(Path(folder) / SUMMARY_FILE)
    if problem is not None and problem.status == "incomplete":
        return None, None  # written when a run ends; a running one has none
    problem = problem or check_summary(summary)
    return (None, problem) if problem else (summary, None)


def log_problem(folder: str | os.PathLike[str]) -> Problem | None:
    """A metrics.jsonl that cannot be read as a log (a directory, no permission)."""
    path = Path(folder) / METRICS_FILE
    try:
        if path.is_dir():
            return Problem("corrupt", METRICS_FILE, "is a directory, not a file")
        if path.exists() and not os.access(path, os.R_OK):
            return Problem("unreadable", METRICS_FILE, "cannot be read (permission denied)")
    except OSError as exc:
        return Problem("unreadable", METRICS_FILE, f"cannot be read ({exc.strerror or exc})")
    return None


def record_problem(record: Any) -> str | None:
    """Why a parsed metrics.jsonl line is not a metric record (None if it is one)."""
    if type(record) is not dict:
        return "not a JSON object"
    step = record.get("step")
    if step is not None and type(step) is not int:
        return f"step {step!r} is not an integer"
    stamp = record.get("timestamp")
    if stamp is not None and not _number(stamp):
        return f"timestamp {stamp!r} is not a number"
    return None


def experiment_candidates(base: str | os.PathLike[str], now: float) -> list[Path]:
    """The folders of `base` that are experiments, or were meant to be: those with a
    metadata.json, and "<name>_<8 hex>" folders without one that are not brand new."""
    try:
        entries = list(os.scandir(base))
    except (FileNotFoundError, NotADirectoryError):
        return []
    out = []
    for entry in entries:
        try:
            if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                continue
            meta = os.path.join(entry.path, METADATA_FILE)
            if os.path.lexists(meta):
                out.append(Path(entry.path))
            elif EXPERIMENT_FOLDER.match(entry.name) and now - entry.stat().st_mtime > GRACE_S:
                out.append(Path(entry.path))
        except OSError:
            continue
    return out


def folder_identity(folder: str | os.PathLike[str]) -> tuple[str, str]:
    """(id, name) as the folder's own name tells them, for experiments that cannot say."""
    name = Path(folder).name
    stem, _, tail = name.rpartition("_")
    return (tail, stem) if stem else (name, name)


__all__ = [
    "ENDED", "EXPERIMENT_FOLDER", "GRACE_S", "PROBLEM_STATUSES", "CorruptExperiment", "Problem",
    "check_metadata", "check_summary", "experiment_candidates", "folder_identity",
    "log_problem", "read_document", "read_metadata", "read_summary", "record_problem",
]
