"""HPO studies for the studies view: every study in the storage, with its trials.

Studies live in Optuna storages: by default one journal file per study under
`<base_dir>/hpo/<study>/journal.log`, or the database given with `--storage URL`. A study kept
on a Dask scheduler is read from the copy its client writes beside them (`mirror.log`,
runner.hpo.mirror). A storage
object is opened once and kept: a JournalStorage then reads only the journal lines added
since the previous poll, and an unchanged journal file (same size and mtime) is not asked
at all. Optuna is imported here, lazily, and only by the thread that polls.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
# The journals of a study's folder: its own, and the copy of a study kept on a Dask scheduler.
JOURNALS = (("journal.log", ""), ("mirror.log", " (Dask)"))


@dataclass
class TrialRow:
    number: int
    state: str
    value: float | None
    values: list[float] | None  # multi-objective studies
    params: dict[str, Any]
    best_so_far: float | None
    last_report: tuple[int, float] | None  # (step, value) of the latest intermediate value
    duration_s: float | None
    experiment_dir: str | None
    is_best: bool = False


@dataclass
class StudySnapshot:
    key: str  # "<source>::<study name>": unique across storages
    name: str
    source: str
    directions: list[str]
    metric: str | None
    trials: list[TrialRow] = field(default_factory=list)
    best_number: int | None = None
    best_value: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


class _Source:
    """One storage: a journal file or a database URL, opened on first use."""

    def __init__(self, location: str, label: str) -> None:
        self.location = location
        self.label = label
        self.storage: Any = None
        self.studies: dict[str, Any] = {}
        self.signature: tuple[int, int] | None = None
        self.snapshots: list[StudySnapshot] = []

    @property
    def is_file(self) -> bool:
        return "://" not in self.location

    def changed(self) -> bool:
        if not self.is_file:
            return True
        try:
            st = os.stat(self.location)
        except OSError:
            return True
        sig = (st.st_size, st.st_mtime_ns)
        if sig == self.signature:
            return False
        self.signature = sig
        return True


class StudiesReader:
    """Reads the studies of `--storage` or of every journal under `<base_dir>/hpo/`."""

    def __init__(self, base_dir: str | os.PathLike[str], storage: str | None = None) -> None:
        self.base_dir = Path(base_dir)
        self.storage = storage
        self._sources: dict[str, _Source] = {}

    def _discover(self) -> list[_Source]:
        if self.storage:
            locations = [(self.storage, redact(self.storage))]
        else:
            hpo = self.base_dir / "hpo"
            try:
                folders = sorted(os.scandir(hpo), key=lambda e: e.name)
            except OSError:
                folders = []
            locations = []
            for entry in folders:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                for file, label in JOURNALS:
                    journal = os.path.join(entry.path, file)
                    if os.path.isfile(journal):
                        locations.append((journal, f"hpo/{entry.name}{label}"))
        sources = []
        for location, label in locations:
            source = self._sources.get(location)
            if source is None:
                source = self._sources[location] = _Source(location, label)
            sources.append(source)
        return sources

    def poll(self) -> list[StudySnapshot]:
        """Every study now; sources whose files did not change return their last snapshot."""
        out: list[StudySnapshot] = []
        for source in self._discover():
            if source.changed() or not source.snapshots:
                source.snapshots = self._read_source(source)
            out.extend(source.snapshots)
        return out

    def _read_source(self, source: _Source) -> list[StudySnapshot]:
        import warnings

        import optuna

        from runner.hpo.storage import open_storage

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if source.storage is None:
                    source.storage = open_storage(source.location, self.base_dir, "")
                summaries = optuna.get_all_study_summaries(source.storage,
                                                           include_best_trial=False)
                snapshots = []
                for summary in summaries:
                    study = source.studies.get(summary.study_name)
                    if study is None:
                        study = source.studies[summary.study_name] = optuna.load_study(
                            study_name=summary.study_name, storage=source.storage)
                    snapshots.append(snapshot(study, source.label))
                return snapshots
        except Exception as exc:  # a broken journal or an unreachable database
            source.storage = None
            source.studies = {}
            source.signature = None
            return [StudySnapshot(key=f"{source.label}::", name="(unreadable)",
                                  source=source.label, directions=[], metric=None,
                                  error=f"{type(exc).__name__}: {exc}"[:300])]


def snapshot(study: Any, source: str) -> StudySnapshot:
    """The rows of the studies view for one Optuna study."""
    directions = [d.name.lower() for d in study.directions]
    attrs = study.user_attrs or {}
    snap = StudySnapshot(key=f"{source}::{study.study_name}", name=study.study_name,
                         source=source, directions=directions, metric=attrs.get("metric"))
    single = len(directions) == 1
    minimize = single and directions[0] == "minimize"
    best: float | None = None
    best_number: int | None = None
    now = _dt.datetime.now()
    for t in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        state = t.state.name
        snap.counts[state] = snap.counts.get(state, 0) + 1
        value = t.value if single and t.values is not None else None
        if state == "COMPLETE" and _finite(value) and (
                best is None or (value < best if minimize else value > best)):
            best, best_number = value, t.number
        inter = t.intermediate_values
        last_step = max(inter) if inter else None
        start, end = t.datetime_start, t.datetime_complete
        duration = ((end or now) - start).total_seconds() if start else None
        params = dict(t.user_attrs.get("values") or t.params)
        snap.trials.append(TrialRow(
            number=t.number, state=state, value=value,
            values=list(t.values) if not single and t.values is not None else None,
            params=params, best_so_far=best,
            last_report=(last_step, inter[last_step]) if last_step is not None else None,
            duration_s=duration, experiment_dir=t.user_attrs.get("experiment_dir"),
        ))
    snap.best_number, snap.best_value = best_number, best
    for row in snap.trials:
        row.is_best = row.number == best_number
    return snap


def redact(url: str) -> str:
    """A storage URL fit for the screen: the password of user:password@host hidden."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, at, host = rest.rpartition("@")
    user, colon, _ = creds.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
