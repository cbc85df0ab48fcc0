"""Where a study lives: a journal file under the experiment store by default (resumable,
and the cheapest per trial here), or any SQLAlchemy URL so workers on several machines
share one study (PostgreSQL)."""

from __future__ import annotations

import fcntl
import re
import time
from pathlib import Path
from typing import Any

from runner.hpo.liveness import GRACE_S, HEARTBEAT_S

IDENTITY_FILE = "identity.json"  # beside a default journal: which search the study is


def study_dir(base_dir: str | Path, study_name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", study_name).strip("._") or "study"
    return Path(base_dir) / "hpo" / safe


def describe(storage: str | None, base_dir: str | Path, study_name: str) -> str:
    if storage:
        return storage
    return str(study_dir(base_dir, study_name) / "journal.log")


def journal_path(storage: str | None, base_dir: str | Path, study_name: str) -> Path | None:
    """The journal file of a journal storage; None for a database URL."""
    if storage and "://" in storage:
        return None
    return Path(storage) if storage else study_dir(base_dir, study_name) / "journal.log"


def open_storage(storage: str | None, base_dir: str | Path, study_name: str) -> Any:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = journal_path(storage, base_dir, study_name)
    if path is None:
        return _rdb(_driver(storage))
    path.parent.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(path)))  # Optuna's default (symlink) lock


def _rdb(url: str) -> Any:
    """An RDB storage with Optuna's heartbeat. Creating its tables is not safe when two
    commands start at once on a new database (alembic's version row, `table studies already
    exists`): a SQLite file is created under a file lock, any other database is retried."""
    import optuna
    import sqlalchemy.exc

    def make():
        return optuna.storages.RDBStorage(url, heartbeat_interval=int(HEARTBEAT_S),
                                          grace_period=int(GRACE_S))

    if url.startswith("sqlite:///"):
        db = Path(url[len("sqlite:///"):])
        db.parent.mkdir(parents=True, exist_ok=True)
        with open(db.with_name(db.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return make()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    for attempt in range(5):
        try:
            return make()
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError,
                sqlalchemy.exc.ProgrammingError):
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _driver(url: str) -> str:
    """SQLAlchemy 2.1 reads postgresql:// as psycopg 3; use psycopg2 when only it is installed."""
    if url.startswith("postgresql://"):
        import importlib.util

        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
            return "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url
