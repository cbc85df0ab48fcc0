"""ExperimentManager: the experiments under one base folder, found by id or id prefix.

Listing reads only each folder's metadata.json and summary.json, never the metric logs,
so it stays fast with thousands of experiments. Every id the user types is resolved to a
folder that is a direct, non-symlinked child of the base folder before anything is read
or deleted; an id that tries to point elsewhere ("../x", "/etc") is refused outright.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.store import store_dir
from runner.tracking.errors import AmbiguousExperimentId, ExperimentNotFound, UnsafeNameError
from runner.tracking.history import load_history
from runner.tracking.liveness import SUSPECT, shown_status
from runner.tracking.reading import (
    CorruptExperiment,
    experiment_candidates,
    folder_identity,
    log_problem,
    read_metadata,
    read_summary,
)
from runner.tracking.store import read_json, write_json
from runner.tracking.summary import best
from runner.tracking.tracker import (
    ENDED,
    HYPERPARAMETERS_FILE,
    METADATA_FILE,
    METRICS_FILE,
    ExperimentTracker,
)
from runner.tracking.values import from_json

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CURRENT_FILE = "current"
_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")


def check_experiment_id(experiment_id: str) -> str:
    """`experiment_id` if it can only name a folder directly inside the base folder."""
    if not isinstance(experiment_id, str) or not experiment_id:
        raise UnsafeNameError(f"experiment id must be a non-empty string, got {experiment_id!r}")
    if experiment_id in (".", "..") or not _ID_PATTERN.match(experiment_id):
        raise UnsafeNameError(
            f"experiment id {experiment_id!r} is refused: ids are letters, digits, '.', '_' "
            "and '-' only (no path separators or '..')"
        )
    return experiment_id


def _last_activity(folder: Path, meta: dict[str, Any]) -> float | None:
    try:
        return os.stat(folder / METRICS_FILE).st_mtime
    except OSError:
        start = meta.get("start_timestamp")
        return start if isinstance(start, (int, float)) else None


class ExperimentManager:
    """Create, find, list, compare and delete the experiments of one base folder."""

    def __init__(self, base_dir: str | os.PathLike[str] | None = None) -> None:
        self.base_dir = Path(store_dir(base_dir))  # None: $NEURAL_EXPERIMENTS_DIR, else ./neural_experiments

    # ------------------------------------------------------------------ discovery

    def _folders(self) -> list[Path]:
        return experiment_candidates(self.base_dir, time.time())

    def resolve(self, experiment_id: str) -> Path:
        """The folder of an experiment given its id, a unique id prefix or its folder name."""
        check_experiment_id(experiment_id)
        folders = self._folders()
        exact = [f for f in folders if f.name == experiment_id
                 or f.name.rsplit("_", 1)[-1] == experiment_id]
        matches = exact or [f for f in folders if f.name.rsplit("_", 1)[-1].startswith(experiment_id)]
        if not matches:
            raise ExperimentNotFound(f"no experiment with id {experiment_id!r} in {self.base_dir}")
        if len(matches) > 1:
            names = ", ".join(sorted(f.name for f in matches)[:10])
            raise AmbiguousExperimentId(
                f"id prefix {experiment_id!r} matches {len(matches)} experiments ({names}); "
                "type more characters"
            )
        folder = matches[0]
        base = self.base_dir.resolve()
        if folder.is_symlink() or folder.resolve().parent != base:
            raise UnsafeNameError(f"experiment folder {folder} is not inside {base}; refused")
        return folder

    def _info(self, folder: Path, now: float | None = None) -> dict[str, Any]:
        """What `list` shows of one folder; a damaged one is listed with its problem."""
        meta, problem = read_metadata(folder)
        summary, summary_problem = (None, None) if meta is None else read_summary(folder)
        problem = problem or summary_problem or log_problem(folder)
        if meta is None or problem is not None:
            experiment_id, name = folder_identity(folder)
            if meta is not None:
                experiment_id, name = meta["experiment_id"], meta.get("experiment_name", name)
            return {
                "experiment_id": experiment_id, "experiment_name": name,
                "status": problem.status, "problem": str(problem), "start_time": None,
                "start_timestamp": None, "end_time": None, "duration_s": None, "tags": {},
                "notes": "", "backends": [], "experiment_dir": str(folder),
                "metric_records": None, "metrics": {},
            }
        summary = from_json(summary or {})
        now = time.time() if now is None else now
        return {
            "experiment_id": meta["experiment_id"],
            "experiment_name": meta.get("experiment_name"),
            "status": shown_status(meta, _last_activity(folder, meta), now),
            "start_time": meta.get("start_time"),
            "start_timestamp": meta.get("start_timestamp"),
            "end_time": meta.get("end_time"),
            "duration_s": meta.get("duration_s"),
            "tags": meta.get("tags") or {},
            "notes": meta.get("notes") or "",
            "backends": meta.get("backends") or [],
            "experiment_dir": str(folder),
            "metric_records": summary.get("metric_records"),
            "metrics": summary.get("metrics") or {},
        }

    def list_experiments(
        self,
        status: str | Iterable[str] | None = None,
        tag: str | None = None,
        name: str | None = None,
    ) -> list[dict[str, Any]]:
        """Experiments, oldest first, optionally filtered.

        status: one status or several; tag: "key" or "key=value"; name: a substring
        (case-insensitive) or a glob such as "resnet*".
        """
        statuses = {status} if isinstance(status, str) else set(status) if status else None
        tag_key, _, tag_value = (tag or "").partition("=")
        out = []
        now = time.time()
        for folder in self._folders():
            info = self._info(folder, now)
            if statuses and info["status"] not in statuses and not (
                    info["status"] == SUSPECT and "running" in statuses):
                continue
            if tag:
                if tag_key not in info["tags"]:
                    continue
                if "=" in tag and info["tags"][tag_key] != tag_value:
                    continue
            if name:
                exp_name = (info["experiment_name"] or "").lower()
                pattern = name.lower()
                hit = (fnmatch.fnmatchcase(exp_name, pattern) if any(c in name for c in "*?[")
                       else pattern in exp_name)
                if not hit:
                    continue
            out.append(info)
        out.sort(key=lambda i: (i["start_timestamp"] or 0.0, str(i["experiment_id"])))
        return out

    # ----------------------------------------------------------------- one experiment

    def create_experiment(
        self, name: str | None = None, auto_visualize: bool = True,
        backend: str | Sequence[str] | None = None, **options: Any,
    ) -> ExperimentTracker:
        """A new tracker in this manager's base folder (options as for ExperimentTracker)."""
        return ExperimentTracker(name, base_dir=self.base_dir, auto_visualize=auto_visualize,
                                 backend=backend, **options)

    def get_experiment(self, experiment_id: str) -> ExperimentTracker | None:
        """The experiment re-opened as a tracker, or None if no experiment has that id."""
        try:
            folder = self.resolve(experiment_id)
        except ExperimentNotFound:
            return None
        return ExperimentTracker.open(folder)

    def describe(self, experiment_id: str) -> dict[str, Any]:
        """Everything recorded about one experiment, for `neural track show`."""
        folder = self.resolve(experiment_id)
        tracker = ExperimentTracker.open(folder)
        problem = log_problem(folder) or read_summary(folder)[1]
        if problem is not None:
            tracker.close()
            raise CorruptExperiment(folder, problem)
        meta = dict(tracker.metadata)
        meta["status"] = shown_status(meta, _last_activity(folder, meta), time.time())
        info = {
            "experiment_dir": str(folder.resolve()),
            "metadata": meta,
            "hyperparameters": from_json(read_json(folder / HYPERPARAMETERS_FILE, {}) or {}),
            "summary": tracker.summary(),
            "artifacts": {name: [v.to_dict() for v in versions]
                          for name, versions in tracker.artifacts.items()},
            "plots": sorted(str(p) for p in (folder / "plots").glob("*") if p.is_file()),
        }
        tracker.close()
        return info

    def delete_experiment(self, experiment_id: str) -> bool:
        """Remove an experiment folder; False if no experiment has that id.

        Refuses (UnsafeNameError) ids that could name anything but a folder directly
        inside the base folder, and folders that are symlinks.
        """
        try:
            folder = self.resolve(experiment_id)
        except ExperimentNotFound:
            return False
        real_id = folder.name.rsplit("_", 1)[-1]
        shutil.rmtree(folder)
        if self.current_experiment_id() == real_id:
            self.clear_current()
        return True

    # ----------------------------------------------------------- current experiment

    @property
    def _current_path(self) -> Path:
        return self.base_dir / CURRENT_FILE

    def set_current(self, experiment_id: str) -> None:
        """Remember the experiment that later `neural track log` calls write to."""
        folder = self.resolve(experiment_id)
        meta = read_json(folder / METADATA_FILE) or {}
        self.base_dir.mkdir(parents=True, exist_ok=True)
        write_json(self._current_path, {"experiment_id": meta.get("experiment_id"),
                                        "experiment_dir": folder.name})

    def current_experiment_id(self) -> str | None:
        data = read_json(self._current_path)
        if not isinstance(data, dict):
            return None
        experiment_id = data.get("experiment_id")
        return experiment_id if isinstance(experiment_id, str) else None

    def clear_current(self) -> None:
        try:
            self._current_path.unlink()
        except FileNotFoundError:
            pass

    # ------------------------------------------------------------------ comparisons

    def histories(self, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Metric histories keyed by a readable label "<name> (<id>)", in the given order."""
        out: dict[str, list[dict[str, Any]]] = {}
        for experiment_id in dict.fromkeys(ids):
            folder = self.resolve(experiment_id)
            meta, problem = read_metadata(folder)
            if meta is None:
                raise CorruptExperiment(folder, problem)
            out[f"{meta.get('experiment_name')} ({meta['experiment_id']})"] = load_history(folder)
        return out

    def get_best_metric(
        self, metric_name: str, mode: str = "max", *, status: str | None = None,
        tag: str | None = None, name: str | None = None,
    ) -> dict[str, Any] | None:
        """The experiment with the best value of `metric_name`:
        {"experiment_id", "experiment_name", "value", "step"}, or None if none logged it."""
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        winner: dict[str, Any] | None = None
        for info in self.list_experiments(status=status, tag=tag, name=name):
            if "problem" in info:  # damaged: nothing to compare
                continue
            stats = info["metrics"].get(metric_name)
            if info["status"] in ENDED and stats is not None:
                value, step = stats.get(mode), stats.get(f"{mode}_step")
            else:  # running, or no summary yet: read the log
                value, step = best(load_history(Path(info["experiment_dir"])), metric_name, mode)
            if value is None:
                continue
            if winner is None or (value > winner["value"] if mode == "max" else value < winner["value"]):
                winner = {"experiment_id": info["experiment_id"],
                          "experiment_name": info["experiment_name"], "value": value, "step": step}
        return winner

    def compare_experiments(
        self, ids: Sequence[str], metrics: Sequence[str] | None = None
    ) -> dict[str, Figure]:
        """Figures comparing the experiments: one per metric, plus best values side by side."""
        if not ids:
            raise ValueError("compare_experiments needs at least one experiment id")
        from runner.tracking.visualizer import MetricVisualizer

        return MetricVisualizer.create_comparison_plots(self.histories(ids), metrics=metrics)

    def export_comparison(
        self, ids: Sequence[str], output_dir: str | os.PathLike[str] | None = None,
        metrics: Sequence[str] | None = None,
    ) -> str:
        """A folder with comparison plots and an HTML report; returns its path."""
        from runner.tracking.report import export_comparison

        return export_comparison(self, ids, output_dir, metrics=metrics)
