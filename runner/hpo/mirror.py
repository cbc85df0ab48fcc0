"""A local copy of a study that lives elsewhere, for the readers on this machine.

A search on a Dask cluster keeps its study on the scheduler (optuna-integration's DaskStorage):
nothing on this machine can read it, and it is gone when the scheduler stops. The client, which
asks for every trial, hears each epoch and tells each outcome, writes the same facts into a
journal beside the search's other files (`<base>/hpo/<study>/mirror.log`), so `neural tui`
shows the remote trials as they run and the record outlives the scheduler. It is a copy, never
a source: the search never reads it, and a run against a scheduler that lost the study starts
the copy again.
"""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path
from typing import Any

MIRROR_FILE = "mirror.log"  # beside journal.log in the study's folder
log = logging.getLogger(__name__)


class StudyMirror:
    """Writes one study's trials into a local journal as the client learns about them.
    A write that fails (disk full, a read-only store) is said once and mirroring stops: the
    search itself never depends on its copy."""

    def __init__(self, path: str | Path, study: Any, source: str) -> None:
        self.path = Path(path)
        self.study = study
        self.source = source
        self.storage: Any = None
        self.study_id: int | None = None
        self.ids: dict[int, int] = {}  # trial number -> trial id in the mirror
        self.metric = (study.user_attrs or {}).get("metric")
        try:
            self._open()
        except Exception as exc:  # noqa: BLE001 - the copy is for readers; the search goes on
            self._stopped(exc)

    # ------------------------------------------------------------------ what the client calls
    def started(self, trial: Any) -> None:
        """A trial the client just asked for and drew (RUNNING, with its parameters)."""
        self._guard(lambda: self._copy(trial))

    def begin(self, number: int, worker: str | None) -> None:
        """The trial's worker began training it."""
        if number in self.ids and worker:
            self._guard(lambda: self.storage.set_trial_user_attr(self.ids[number], "worker", {"address": worker}))

    def epoch(self, number: int, epoch: int, metrics: dict[str, float]) -> None:
        """An epoch arrived from the worker: its value of the search's metric, as the pruner saw it."""
        value = metrics.get(self.metric) if self.metric else None
        if number in self.ids and value is not None:
            self._guard(lambda: self.storage.set_trial_intermediate_value(self.ids[number], epoch, float(value)))

    def finished(self, trial: Any) -> None:
        """The trial as the study holds it after the client told its outcome."""
        self._guard(lambda: self._copy(trial))

    def ended(self, number: int, state: str, value: float | None = None,
              attrs: dict[str, Any] | None = None) -> None:
        """A trial's outcome as the client knows it, written here directly: when the study it
        would be read from is out of reach (the scheduler was lost), this copy is the record."""
        from optuna.trial import TrialState

        def write() -> None:
            tid = self.ids[number]
            for key, v in (attrs or {}).items():
                if v is not None:
                    self.storage.set_trial_user_attr(tid, key, v)
            if self.storage.get_trial(tid).state == TrialState.RUNNING:
                final = TrialState[state]
                self.storage.set_trial_state_values(
                    tid, final, [value] if final == TrialState.COMPLETE and value is not None else None)

        if number in self.ids:
            self._guard(write)

    def abandon(self, error: str | None = None) -> None:
        """The client stops: a trial still RUNNING here ends FAIL, as it does in the study
        (with `error` as its error, when the client knows why)."""
        from optuna.trial import TrialState

        def fail_open() -> None:
            for t in self.storage.get_all_trials(self.study_id, deepcopy=False, states=(TrialState.RUNNING,)):
                if error:
                    self.storage.set_trial_user_attr(t._trial_id, "error", error)
                self.storage.set_trial_state_values(t._trial_id, TrialState.FAIL)

        self._guard(fail_open)

    def local_study(self) -> Any:
        """This copy as an Optuna study (read-only use: results, the summary); None when
        mirroring stopped."""
        import optuna

        if self.storage is None:
            return None
        return optuna.load_study(study_name=self.study.study_name, storage=self.storage)

    # ------------------------------------------------------------------ inside
    def _guard(self, write: Any) -> None:
        if self.storage is None:
            return
        try:
            write()
        except Exception as exc:  # noqa: BLE001 - the copy is for readers; the search goes on
            self._stopped(exc)

    def _stopped(self, exc: BaseException) -> None:
        log.warning("the local copy of study %s (%s) stopped: %s: %s", self.study.study_name, self.path,
                    type(exc).__name__, exc)
        self.storage = None

    def _open(self) -> None:
        """Open the journal and bring it up to the study: copy the trials it lacks; start it
        again when it holds trials the study does not (the scheduler lost the study)."""
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        self.path.parent.mkdir(parents=True, exist_ok=True)
        storage = JournalStorage(JournalFileBackend(str(self.path)))
        name = self.study.study_name
        trials = {t.number: t for t in self.study.get_trials(deepcopy=False)}
        try:
            study_id = storage.get_study_id_from_name(name)
        except KeyError:
            study_id = None
        if study_id is not None:
            held = storage.get_all_trials(study_id, deepcopy=False)
            if len(held) > len(trials) or any(
                    h.number not in trials or h.params != trials[h.number].params for h in held):
                storage.delete_study(study_id)
                study_id = None
        if study_id is None:
            study_id = storage.create_new_study(list(self.study.directions), name)
        for key, value in {**(self.study.user_attrs or {}), "mirror_of": self.source}.items():
            storage.set_study_user_attr(study_id, key, value)
        self.storage, self.study_id = storage, study_id
        self.ids = {t.number: t._trial_id for t in storage.get_all_trials(study_id, deepcopy=False)}
        for t in trials.values():
            self._copy(t)

    def _copy(self, trial: Any) -> None:
        """Create the trial here, or bring its state, values, attributes and reports up to date."""
        from optuna.trial import FrozenTrial, TrialState

        frozen = trial if isinstance(trial, FrozenTrial) else \
            self.study._storage.get_trial(trial._trial_id)
        tid = self.ids.get(frozen.number)
        if tid is None:
            start = frozen.datetime_start or _dt.datetime.now()
            template = FrozenTrial(
                number=frozen.number, state=frozen.state, value=None, values=frozen.values,
                datetime_start=start, datetime_complete=frozen.datetime_complete,
                params=frozen.params, distributions=frozen.distributions, user_attrs=frozen.user_attrs,
                system_attrs={}, intermediate_values=frozen.intermediate_values, trial_id=-1)
            tid = self.storage.create_new_trial(self.study_id, template_trial=template)
            self.ids[frozen.number] = tid
            return
        held = self.storage.get_trial(tid)
        for key, value in frozen.user_attrs.items():
            if held.user_attrs.get(key) != value:
                self.storage.set_trial_user_attr(tid, key, value)
        for step, value in frozen.intermediate_values.items():
            if held.intermediate_values.get(step) != value:
                self.storage.set_trial_intermediate_value(tid, step, value)
        if held.state == TrialState.RUNNING and frozen.state != TrialState.RUNNING:
            self.storage.set_trial_state_values(tid, frozen.state, frozen.values)
