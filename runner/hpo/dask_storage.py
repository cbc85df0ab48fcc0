"""The study on the Dask scheduler (optuna-integration's DaskStorage), without the noise users saw.

- Optuna probes for a study by asking its id and catching KeyError (and creates one by catching
  DuplicatedStudyError). Through DaskStorage the scheduler raises those in its handler and logs
  each with a full traceback ("Exception while handling op optuna_get_study_id_from_name"),
  although nothing is wrong. Here the probe looks the name up in the list of studies first, so
  the scheduler is only asked what it can answer.
- DaskStorage is an experimental class: building one warns (ExperimentalWarning). A worker
  builds one each time a task's arguments are unpickled, printing the warning on every worker.
  This storage is rebuilt by `_reopen`, which builds it without the warning.
"""

from __future__ import annotations

import warnings
from typing import Any


def dask_storage(name: str, client: Any = None, register: bool = True) -> Any:
    """The DaskStorage called `name` on the scheduler of `client` (on a worker: its own)."""
    from optuna.exceptions import ExperimentalWarning

    cls = _storage_class()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return cls(None, name, client, register)


def _reopen(name: str) -> Any:
    return dask_storage(name, register=False)


_CLASS: Any = None


def _storage_class() -> Any:
    """Defined on first use: optuna-integration is an optional package (the `dask` extra)."""
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    from optuna.exceptions import DuplicatedStudyError
    from optuna_integration import DaskStorage

    class QuietDaskStorage(DaskStorage):
        def _study_id(self, study_name: str) -> int | None:
            for study in self.get_all_studies():
                if study.study_name == study_name:
                    return study._study_id
            return None

        def get_study_id_from_name(self, study_name: str) -> int:
            study_id = self._study_id(study_name)
            if study_id is None:  # raised here, on the client, as Optuna expects
                raise KeyError(f"no study named {study_name!r}")
            return study_id

        def create_new_study(self, directions: Any, study_name: str | None = None) -> int:
            if study_name is not None and self._study_id(study_name) is not None:
                raise DuplicatedStudyError(f"study {study_name!r} already exists")
            return super().create_new_study(directions, study_name)

        def __reduce__(self) -> tuple:
            return (_reopen, (self.name,))

    _CLASS = QuietDaskStorage
    return _CLASS
