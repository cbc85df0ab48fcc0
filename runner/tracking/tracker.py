"""ExperimentTracker: one experiment's folder in the store, and the calls that fill it.

    <base_dir>/<name>_<id>/
        metadata.json  hyperparameters.json  metrics.jsonl  artifacts.json  summary.json
        artifacts/<name>/v<N>/<file>     plots/*.png

`log_metrics` appends one line to metrics.jsonl (see store.py) and, every `plot_every`
calls, sets an Event for the plot scheduler; that is all. Mirrors (mirrors.py) and
automatic plots (autoplot.py) run in helper processes that read the log themselves, and
nothing on the logging path grows with the history. Also in the folder: `mirrors.log`
(the mirror process's stderr) and, for TensorBoard by default, `tensorboard/`.
Everything else (metadata, hyperparameters, artifacts, summary) is a small JSON document
rewritten atomically. Reading (`metrics_history`, `get_best_metric`, plots) parses the
log incrementally, so a tracker also sees lines appended by other processes.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import os
import re
import tempfile
import threading
import time
import uuid
import warnings
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.store import store_dir
from runner.tracking.artifacts import ArtifactStore, ArtifactVersion, safe_name
from runner.tracking.autoplot import AutoPlotter, SharedPlots
from runner.tracking.errors import MirrorWarning
from runner.tracking.integrations import BACKENDS
from runner.tracking.mirrors import MirrorProcess
from runner.tracking.paths import (  # noqa: F401  (re-exported: readers import them from here)
    ENDED,
    HYPERPARAMETERS_FILE,
    METADATA_FILE,
    METRICS_FILE,
    PLOTS_DIR,
    STATUSES,
    SUMMARY_FILE,
)
from runner.tracking.store import JsonlReader, JsonlWriter, read_json, update_json, write_json
from runner.tracking.summary import best, summarize
from runner.tracking.values import decode_metric, from_json, metric_record, to_json
from runner.tracking.visualizer import MetricVisualizer

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from runner.tracking.session import TrackingSession


_open_trackers: weakref.WeakSet[ExperimentTracker] = weakref.WeakSet()


def _close_all_at_exit() -> None:
    """Flush mirrors and stop threads of trackers the program forgot to finish."""
    for tracker in list(_open_trackers):
        try:
            tracker.close()
        except Exception:
            pass


atexit.register(_close_all_at_exit)


def _now_iso() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def folder_stem(name: str) -> str:
    """The file-system-safe part of a folder name derived from an experiment name."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")
    return stem[:64] or "experiment"


def _as_step(step: Any) -> int:
    if isinstance(step, bool) or not hasattr(step, "__index__"):
        raise TypeError(f"step must be an integer, got {type(step).__name__} {step!r}")
    return int(step.__index__())


def _normalise_tags(tags: Mapping[str, Any] | Iterable[str] | None) -> dict[str, str]:
    """{"k": "v"} as given; a list like ["baseline", "lr=0.1"] as {"baseline": "", "lr": "0.1"}."""
    if not tags:
        return {}
    if isinstance(tags, str):
        tags = [tags]
    if isinstance(tags, Mapping):
        items = tags.items()
    else:
        items = [(t.split("=", 1) + [""])[:2] for t in (str(t) for t in tags)]
    out = {}
    for key, value in items:
        key = str(key).strip()
        if not key:
            raise ValueError("tag names must be non-empty")
        out[key] = "" if value is None else str(value)
    return out


def _backend_list(backend: str | Sequence[str] | None) -> list[str]:
    if not backend:
        return []
    names = backend.split(",") if isinstance(backend, str) else list(backend)
    out = []
    for name in names:
        key = str(name).strip().lower()
        if key not in BACKENDS:
            raise ValueError(
                f"unknown tracking backend {name!r}; choose from {', '.join(sorted(BACKENDS))}"
            )
        if key not in out:
            out.append(key)
    return out


class ExperimentTracker:
    """Records one experiment. Use as a context manager to get completed/failed for free."""

    def __init__(
        self,
        experiment_name: str | None = None,
        base_dir: str | os.PathLike[str] | None = None,
        auto_visualize: bool = True,
        backend: str | Sequence[str] | None = None,
        *,
        tags: Mapping[str, Any] | Iterable[str] | None = None,
        notes: str | None = None,
        backend_options: Mapping[str, Any] | None = None,
        plot_every: int = 10,
        capture_environment: bool = True,
        session: TrackingSession | None = None,
    ) -> None:
        if experiment_name is not None and (
            not isinstance(experiment_name, str) or not experiment_name.strip()
        ):
            raise ValueError(f"experiment_name must be a non-empty string, got {experiment_name!r}")
        if plot_every < 1:
            raise ValueError(f"plot_every must be >= 1, got {plot_every}")
        backends = _backend_list(backend)
        tag_map = _normalise_tags(tags)
        name = experiment_name or f"experiment_{_dt.datetime.now():%Y%m%d_%H%M%S}"
        base = Path(store_dir(base_dir))  # None: $NEURAL_EXPERIMENTS_DIR, else ./neural_experiments
        base.mkdir(parents=True, exist_ok=True)
        experiment_id, folder = self._new_folder(base, name)
        metadata = {
            "experiment_id": experiment_id,
            "experiment_name": name,
            "status": "running",
            "start_time": _now_iso(),
            "start_timestamp": time.time(),
            "end_time": None,
            "duration_s": None,
            "tags": tag_map,
            "notes": notes or "",
            "backends": backends,
            "mirrors": [],
        }
        write_json(folder / HYPERPARAMETERS_FILE, {})
        write_json(folder / METADATA_FILE, metadata)
        (folder / PLOTS_DIR).mkdir(exist_ok=True)
        self._setup(folder, metadata, auto_visualize, plot_every, session)
        if session is not None and session.environment:
            self._share_environment(session)
        elif capture_environment and session is None:
            self._capture_environment()
        if backends:
            self._start_mirrors(backends, dict(backend_options or {}))
        _open_trackers.add(self)

    # ------------------------------------------------------------------ construction

    @staticmethod
    def _new_folder(base: Path, name: str) -> tuple[str, Path]:
        """A fresh `<name>_<id>` folder whose 8-hex-digit id no other experiment has."""
        stem = folder_stem(name)
        for _ in range(100):
            experiment_id = uuid.uuid4().hex[:8]
            if any(entry.endswith("_" + experiment_id) for entry in os.listdir(base)):
                continue
            folder = base / f"{stem}_{experiment_id}"
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            return experiment_id, folder
        raise RuntimeError(f"could not allocate an experiment id in {base}")

    def _setup(
        self, folder: Path, metadata: dict[str, Any], auto_visualize: bool, plot_every: int,
        session: TrackingSession | None = None,
    ) -> None:
        self._dir = folder.resolve()
        self._metadata = metadata
        self.auto_visualize = auto_visualize
        self.plot_every = plot_every
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._log = JsonlWriter(folder / METRICS_FILE)
        self._reader = JsonlReader(folder / METRICS_FILE)
        self._history: list[dict[str, Any]] = []
        self._count = 0
        self._artifacts = ArtifactStore(self._dir)
        self._mirrors: MirrorProcess | None = None
        self._mirrors_resumed = False
        self._closed = False
        self._plotter: AutoPlotter | SharedPlots | None = None
        if auto_visualize and session is not None:
            if session.plots is not None:
                self._plotter = SharedPlots(session.plots, self._dir, self._render_plots,
                                            live=session.live_plots)
        elif auto_visualize:
            self._plotter = AutoPlotter(self._dir, self._render_plots)

    @classmethod
    def open(
        cls, experiment_dir: str | os.PathLike[str], auto_visualize: bool = False
    ) -> ExperimentTracker:
        """Re-open an existing experiment folder (to read it, or to log more into it)."""
        from runner.tracking.reading import CorruptExperiment, read_metadata

        folder = Path(experiment_dir)
        metadata, problem = read_metadata(folder)
        if metadata is None:
            if problem.status == "incomplete":
                raise FileNotFoundError(f"{folder} is not an experiment folder (no {METADATA_FILE})")
            raise CorruptExperiment(folder, problem)
        tracker = cls.__new__(cls)
        tracker._setup(folder, metadata, auto_visualize, 10)
        tracker._mirrors_resumed = not metadata.get("mirrors")
        _open_trackers.add(tracker)
        return tracker

    def _capture_environment(self) -> None:
        from runner.tracking.environment import capture_environment, requirements_text

        env, diff = capture_environment()
        self._update_metadata(lambda m: {**m, "environment": env})
        with tempfile.TemporaryDirectory(prefix="neural-env-") as tmp:
            req = Path(tmp) / "requirements.txt"
            req.write_text(requirements_text(), encoding="utf-8")
            self._artifacts.log(req, "requirements.txt", kind="environment")
            if diff:
                patch = Path(tmp) / "git_diff.patch"
                patch.write_text(diff, encoding="utf-8")
                self._artifacts.log(patch, "git_diff.patch", kind="environment",
                                    metadata={"commit": (env.get("git") or {}).get("commit")})

    def _share_environment(self, session: TrackingSession) -> None:
        """The session's environment, captured once for all its experiments, plus this
        process's command line."""
        from runner.tracking.session import current_command

        shared = session.environment or {}
        env = {**shared.get("metadata", {}), "command": current_command()}
        self._update_metadata(lambda m: {**m, "environment": env})
        commit = (env.get("git") or {}).get("commit")
        for name, path in session.environment_files().items():
            self._artifacts.log(path, name, kind="environment",
                                metadata={"commit": commit} if name == "git_diff.patch" else None)

    # --------------------------------------------------------------------- mirrors

    def _mirror_options(self, backend: str, options: Mapping[str, Any]) -> dict[str, Any]:
        defaults: dict[str, Any] = {
            "mlflow": {"base_dir": str(self.base_dir.resolve()), "run_name": self._dir.name,
                       "tags": {"neural.experiment_id": self.experiment_id}},
            "tensorboard": {"log_dir": str((self._dir / "tensorboard").resolve())},
            "wandb": {"dir": str(self.base_dir.resolve())},
        }[backend]
        accepted = BACKENDS[backend].OPTIONS
        chosen = {k: v for k, v in options.items() if k in accepted and v is not None}
        return {**defaults, **{k: str(v) if isinstance(v, os.PathLike) else v
                               for k, v in chosen.items()}}

    def _launch(self, specs: list[dict[str, Any]], offset: int) -> list[dict[str, Any]]:
        """Start the mirror process; returns its per-backend report, warning about failures."""
        process = MirrorProcess(self._dir, self.experiment_name, specs, offset=offset,
                                on_error=self._mirror_failed)
        for item in process.report:
            if "error" in item:
                kind = "is not available" if item.get("kind") == "unavailable" else "failed to start"
                warnings.warn(
                    f"{item['backend']} mirror {kind} ({item['error']}); experiment "
                    f"{self.experiment_id} is still recorded locally in {self._dir}",
                    MirrorWarning, stacklevel=4,
                )
        self._mirrors = process if process else None
        return process.report

    def _start_mirrors(self, backends: list[str], options: dict[str, Any]) -> None:
        unused = set(options) - {o for b in backends for o in BACKENDS[b].OPTIONS}
        if unused:
            warnings.warn(f"backend option(s) {', '.join(sorted(unused))} not used by "
                          f"{', '.join(backends)}", MirrorWarning, stacklevel=3)
        specs = [{"backend": b, "options": to_json(self._mirror_options(b, options), "options")}
                 for b in backends]
        report = self._launch(specs, offset=0)
        records = []
        for spec, item in zip(specs, report, strict=True):
            record = dict(spec)
            if "error" in item:
                record["error"] = item["error"]
            else:
                record["state"] = item.get("state", {})
            records.append(record)
        self._mirrors_resumed = True
        self._update_metadata(lambda m: {**m, "mirrors": records})

    def _resume_mirrors(self) -> None:
        """Restart the mirrors recorded in metadata.json, on the first write of this process,
        from the byte offset of metrics.jsonl that the previous mirror process reached."""
        self._mirrors_resumed = True
        meta = read_json(self._dir / METADATA_FILE, self._metadata) or self._metadata
        specs = []
        for record in meta.get("mirrors") or []:
            backend = record.get("backend")
            if backend not in BACKENDS or record.get("error"):
                continue
            opts = {**(record.get("options") or {}), **(record.get("state") or {})}
            specs.append({"backend": backend,
                          "options": {k: v for k, v in opts.items()
                                      if k in BACKENDS[backend].OPTIONS}})
        if specs:
            self._launch(specs, offset=int(meta.get("mirror_offset") or 0))

    def _mirror_failed(self, backend: str, error: str) -> None:
        def mark(meta: dict[str, Any]) -> dict[str, Any]:
            for record in meta.get("mirrors") or []:
                if record.get("backend") == backend:
                    record["error"] = error
            return meta

        self._update_metadata(mark)

    def _mirror(self) -> MirrorProcess | None:
        if not self._mirrors_resumed:
            with self._lock:
                if not self._mirrors_resumed:
                    self._resume_mirrors()
        return self._mirrors

    # ------------------------------------------------------------------- properties

    @property
    def experiment_id(self) -> str:
        return self._metadata["experiment_id"]

    @property
    def experiment_name(self) -> str:
        return self._metadata["experiment_name"]

    @property
    def experiment_dir(self) -> str:
        return str(self._dir)

    @property
    def base_dir(self) -> Path:
        return self._dir.parent

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self._metadata)

    @property
    def status(self) -> str:
        return self._metadata.get("status", "running")

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._metadata.get("tags") or {})

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return from_json(read_json(self._dir / HYPERPARAMETERS_FILE, {}) or {})

    @property
    def metrics_history(self) -> list[dict[str, Any]]:
        """Every metric record so far, NaN/inf decoded, in file order (a copy)."""
        with self._read_lock:
            for record in self._reader.read_new(final=True):
                for key, value in record.items():
                    if type(value) is str:
                        record[key] = decode_metric(value)
                self._history.append(record)
            return list(self._history)

    @property
    def artifacts(self) -> dict[str, list[ArtifactVersion]]:
        return {name: self._artifacts.versions(name) for name in self._artifacts.names()}

    # ---------------------------------------------------------------------- writing

    def _update_metadata(self, change: Any) -> None:
        self._metadata = update_json(self._dir / METADATA_FILE, change, self._metadata)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(
                f"experiment {self.experiment_id} was finished or closed; open it again with "
                "ExperimentManager.get_experiment() to log more"
            )

    def log_hyperparameters(self, hyperparameters: Mapping[str, Any]) -> None:
        """Merge `hyperparameters` into hyperparameters.json (later values win)."""
        self._check_open()
        if not isinstance(hyperparameters, Mapping):
            raise TypeError(
                f"hyperparameters must be a mapping, got {type(hyperparameters).__name__}"
            )
        encoded = to_json(dict(hyperparameters), "hyperparameters")
        update_json(self._dir / HYPERPARAMETERS_FILE, lambda old: {**(old or {}), **encoded}, {})
        mirrors = self._mirror()
        if mirrors:
            mirrors.hyperparameters(from_json(encoded))

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> int:
        """Append one record; returns its step (previous step + 1 when not given).

        When this returns, the record is in the operating system's hands: a SIGKILL of the
        process cannot lose it.
        """
        values = metric_record(metrics)
        if step is not None:
            step = _as_step(step)
        if not self._mirrors_resumed:  # a re-opened experiment: its mirrors tail the log
            self._mirror()
        with self._lock:
            if self._closed:
                self._check_open()
            if step is None:  # unique across every process logging to this experiment
                step = self._log.append_numbered({"timestamp": time.time(), **values})
            else:
                self._log.append({"step": step, "timestamp": time.time(), **values})
                self._log.note_number(step)
            self._count += 1
            count = self._count
        if self._plotter is not None and count % self.plot_every == 0:
            self._plotter.notify()
        return step

    def log_artifact(
        self, path: str | os.PathLike[str], name: str | None = None, version: bool = True,
        *, metadata: Mapping[str, Any] | None = None,
    ) -> ArtifactVersion:
        """Copy a file or folder into the store as the next version of `name`."""
        self._check_open()
        stored = self._artifacts.log(path, name, version=version,
                                     metadata=to_json(dict(metadata or {}), "metadata"))
        self._mirror_artifact(stored)
        return stored

    def log_model(
        self, path: str | os.PathLike[str], framework: str = "unknown", version: bool = True,
        name: str | None = None,
    ) -> ArtifactVersion:
        """Store a model file as a version of "model<suffix>" (so checkpoints line up)."""
        self._check_open()
        src = Path(path)
        if name is None:
            name = "model" + (src.suffix if src.is_file() else "")
        stored = self._artifacts.log(src, name, version=version, kind="model", framework=framework)
        self._mirror_artifact(stored)
        return stored

    def _mirror_artifact(self, stored: ArtifactVersion) -> None:
        mirrors = self._mirror()
        if mirrors:
            info = {"version": stored.version, "sha256": stored.checksum, "size": stored.size,
                    "type": stored.type, "framework": stored.framework}
            mirrors.artifact(stored.path, stored.name, info)

    def log_figure(self, figure: Figure, name: str) -> str:
        """Save a matplotlib figure to plots/<name> and keep a versioned copy as an artifact."""
        self._check_open()
        name = safe_name(name, "figure name")
        if not name.lower().endswith((".png", ".jpg", ".jpeg", ".svg", ".pdf")):
            name += ".png"
        path = self._dir / PLOTS_DIR / name
        path.parent.mkdir(exist_ok=True)
        figure.savefig(path)
        stored = self._artifacts.log(path, name, kind="figure")
        self._mirror_artifact(stored)
        return str(path)

    def set_status(self, status: str) -> None:
        """Set running / completed / failed / interrupted; an ending status sets end_time."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")

        def change(meta: dict[str, Any]) -> dict[str, Any]:
            meta = {**meta, "status": status}
            if status in ENDED:
                meta["end_time"] = _now_iso()
                meta["duration_s"] = round(time.time() - meta.get("start_timestamp", time.time()), 3)
            else:
                meta["end_time"] = meta["duration_s"] = None
            return meta

        self._update_metadata(change)

    def add_tags(self, tags: Mapping[str, Any] | Iterable[str]) -> None:
        new = _normalise_tags(tags)
        self._update_metadata(lambda m: {**m, "tags": {**(m.get("tags") or {}), **new}})

    def set_notes(self, notes: str) -> None:
        self._update_metadata(lambda m: {**m, "notes": str(notes)})

    # ---------------------------------------------------------------------- reading

    def get_metrics(self, metric_name: str | None = None) -> list[Any]:
        """Values of one metric in logging order, or the whole history if no name is given."""
        history = self.metrics_history
        if metric_name is None:
            return history
        return [r[metric_name] for r in history if metric_name in r]

    def get_best_metric(
        self, metric_name: str, mode: str = "max"
    ) -> tuple[float | None, int | None]:
        """(best value, step); (None, None) if the metric was never logged."""
        return best(self.metrics_history, metric_name, mode)

    def get_artifact_version(self, name: str, version: int = -1) -> ArtifactVersion:
        """Version `version` (1-based), or counted back from the latest if negative."""
        return self._artifacts.get(name, version)

    def list_artifact_versions(self, name: str) -> list[ArtifactVersion]:
        return self._artifacts.versions(name)

    def verify_artifact(self, name: str, version: int = -1) -> bool:
        """True if the stored copy still matches the SHA-256 recorded when it was logged."""
        return self._artifacts.verify(name, version)

    def verify_artifacts(self) -> dict[str, dict[int, bool]]:
        return self._artifacts.verify_all()

    def summary(self) -> dict[str, Any]:
        """What summary.json holds, computed now from the files."""
        history = self.metrics_history
        meta = read_json(self._dir / METADATA_FILE, self._metadata) or self._metadata
        self._metadata = meta
        return {
            "experiment_id": meta["experiment_id"],
            "experiment_name": meta["experiment_name"],
            "status": meta.get("status"),
            "start_time": meta.get("start_time"),
            "end_time": meta.get("end_time"),
            "duration_s": meta.get("duration_s"),
            "metric_records": len(history),
            "metrics": summarize(history),
            "hyperparameters": self.hyperparameters,
            "artifacts": {name: len(v) for name, v in self.artifacts.items()},
        }

    # ------------------------------------------------------------------------ plots

    def _render_plots(self) -> dict[str, str]:
        return self.generate_visualizations()

    def generate_visualizations(self, metrics: Sequence[str] | None = None) -> dict[str, str]:
        """Draw every standard plot now; returns plot name -> PNG path under plots/."""
        figures = MetricVisualizer.create_all(self.metrics_history, metrics=metrics)
        return MetricVisualizer.save_figures(figures, self._dir / PLOTS_DIR)

    # ---------------------------------------------------------------------- ending

    def _write_summary(self) -> None:
        write_json(self._dir / SUMMARY_FILE, to_json(self.summary(), "summary"))

    def close(self) -> None:
        """Flush everything and release files and threads; the status is left as it is."""
        self._shutdown(None)

    def finish(self, status: str | None = None) -> None:
        """End the experiment: status (default: completed unless already ended), summary,
        final plots, mirrors finished, log fsync'ed. Safe to call twice."""
        if status is None:
            status = self.status if self.status in ENDED else "completed"
        if status != self.status or not self._metadata.get("end_time"):
            self.set_status(status)
        if self._closed:  # finished after close(): only the record changes
            self._write_summary()
            return
        self._mirror()  # a re-opened experiment ends its mirror runs too
        self._shutdown(status)

    def _shutdown(self, status: str | None) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _open_trackers.discard(self)
        try:
            if self._plotter is not None:
                self._plotter.stop()
                if status is not None and self._count:
                    if self._mirrors:  # the final plots go to the mirrors: draw them now
                        self._plotter.render_now()
                    else:
                        self._plotter.final()
            if self._count or status is not None:
                self._write_summary()
            if self._mirrors:
                if status is not None:  # the final plots go to the mirrors too
                    for plot in sorted((self._dir / PLOTS_DIR).glob("*.png")):
                        self._mirrors.artifact(str(plot), plot.name,
                                               {"type": "plot", "folder": PLOTS_DIR})
                self._mirrors.close(status)
        finally:
            self._log.sync()
            self._log.close()

    def __enter__(self) -> ExperimentTracker:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc_type is None:
            self.finish()
            return
        if not self._closed:
            status = "interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed"
            self._update_metadata(lambda m: {**m, "error": f"{exc_type.__name__}: {exc}"[:2000]})
            self.finish(status)

    def __repr__(self) -> str:
        return (f"ExperimentTracker(name={self.experiment_name!r}, id={self.experiment_id!r}, "
                f"status={self.status!r}, dir={str(self._dir)!r})")
