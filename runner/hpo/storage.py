"""Where a study lives: a journal file under the experiment store by default (resumable,
and the cheapest per trial here), or any SQLAlchemy URL so workers on several machines
share one study (PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


def study_dir(base_dir: str | Path, study_name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", study_name).strip("._") or "study"
    return Path(base_dir) / "hpo" / safe


def describe(storage: str | None, base_dir: str | Path, study_name: str) -> str:
    if storage:
        return storage
    return str(study_dir(base_dir, study_name) / "journal.log")


def open_storage(storage: str | None, base_dir: str | Path, study_name: str) -> Any:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if storage and "://" in storage:
        storage = _driver(storage)
        if storage.startswith("sqlite:///"):
            Path(storage[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.RDBStorage(storage, heartbeat_interval=60, grace_period=120)
    path = Path(storage) if storage else study_dir(base_dir, study_name) / "journal.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(path)))  # Optuna's default (symlink) lock


def _driver(url: str) -> str:
    """SQLAlchemy 2.1 reads postgresql:// as psycopg 3; use psycopg2 when only it is installed."""
    if url.startswith("postgresql://"):
        import importlib.util

        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
            return "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url
