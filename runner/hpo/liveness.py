"""Which RUNNING trials still have a live worker, and failing the ones that do not.

A process killed with -9 cannot end its trial, so the study would show it RUNNING forever.
Each trial records the worker that runs it (host, pid, the process's start time); each worker
process keeps a heartbeat while it runs. A RUNNING trial is stale when its worker is gone:
on this host, the pid is dead (or now belongs to another process); elsewhere, the heartbeat
is older than GRACE_S. RDB storages use Optuna's own per-trial heartbeat too (see storage.py);
for the journal file the heartbeat is a file per worker beside the journal, touched every
HEARTBEAT_S. Stale trials end FAIL with the reason, and their experiments `interrupted`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

HEARTBEAT_S = 10.0
GRACE_S = 60.0
WORKER_ATTR = "worker"  # trial user attr: {"host", "pid", "started"}


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def this_worker() -> dict[str, Any]:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "started": _start_ticks(pid)}


def _pid_alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = _start_ticks(pid)
    if now is not None and started is not None and now != started:
        return False  # the pid was reused by another process
    try:  # a zombie (dead, not yet reaped) is not a live worker
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def heartbeat_dir(journal: Path) -> Path:
    return journal.with_name(journal.name + ".heartbeats")


def _beat_file(directory: Path, worker: dict[str, Any]) -> Path:
    return directory / f"{worker['host']}-{worker['pid']}"


class Heartbeat:
    """A daemon thread touching this worker's heartbeat file until stopped."""

    def __init__(self, directory: Path | None, interval: float = HEARTBEAT_S) -> None:
        self.directory = directory
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Heartbeat:
        if self.directory is None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = _beat_file(self.directory, this_worker())
        self._beat()
        self._thread = threading.Thread(target=self._run, name="neural-hpo-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _beat(self) -> None:
        try:
            self.path.touch()
        except OSError:
            pass  # a full disk must not fail the trial; staleness then falls back to the pid

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._beat()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            try:
                self.path.unlink()
            except OSError:
                pass


def is_stale(trial: Any, beats: Path | None, now: float | None = None, grace: float = GRACE_S) -> bool:
    """True when a RUNNING trial's worker is gone (see the module docstring)."""
    now = time.time() if now is None else now
    w = trial.user_attrs.get(WORKER_ATTR)
    if isinstance(w, dict) and w.get("host") == socket.gethostname() and isinstance(w.get("pid"), int):
        return not _pid_alive(w["pid"], w.get("started"))
    last = None
    if isinstance(w, dict) and beats is not None:
        try:
            last = _beat_file(beats, w).stat().st_mtime
        except OSError:
            last = None
    if last is None:
        start = trial.datetime_start.timestamp() if trial.datetime_start else now
        if beats is None and not isinstance(w, dict):
            return False  # an RDB trial of another host: Optuna's heartbeat decides
        last = start
    return now - last > grace


def fail_stale(study: Any, beats: Path | None, only_pids: set[int] | None = None) -> list[Any]:
    """End every stale RUNNING trial FAIL (with its reason) and mark its experiment interrupted.

    `only_pids`: fail RUNNING trials of exactly these worker pids (on this host) regardless of
    their state, e.g. the workers a search just stopped. Returns the trials ended."""
    from optuna.trial import TrialState

    ended = []
    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        w = t.user_attrs.get(WORKER_ATTR) or {}
        if only_pids is not None:
            if not (w.get("host") == host and w.get("pid") in only_pids):
                continue
        elif not is_stale(t, beats):
            continue
        reason = (f"interrupted: its worker (pid {w.get('pid')} on {w.get('host')}) ended without "
                  "finishing it") if w else "interrupted: its worker stopped sending heartbeats"
        try:
            study._storage.set_trial_user_attr(t._trial_id, "error", reason)
            study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        except (RuntimeError, ValueError):
            continue  # it finished meanwhile
        mark_interrupted(t.user_attrs.get("experiment_dir"))
        ended.append(t)
    return ended


def mark_interrupted(experiment_dir: str | None) -> None:
    """The trial's experiment, if any and still running, becomes `interrupted`."""
    if not experiment_dir:
        return
    try:
        from runner.tracking import ExperimentTracker

        tracker = ExperimentTracker.open(experiment_dir)
        try:
            if tracker.status == "running":
                tracker.set_status("interrupted")
        finally:
            tracker.close()
    except (OSError, ValueError, ImportError):
        pass  # a damaged or missing experiment folder must not stop the search
