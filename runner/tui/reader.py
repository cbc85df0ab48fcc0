"""The experiment store, read incrementally: one `poll()` per refresh tick.

A tick costs two `stat` calls per experiment when nothing changed: the folder (metadata,
hyperparameters and artifacts are replaced atomically, which changes the folder's entries
and so its mtime) and metrics.jsonl (appends grow its size). Only what changed is read:
documents whose inode/size/mtime moved, and the bytes appended to a log since its offset.
The base folder is listed again only when its own mtime moves. A folder whose mtime is
recent is checked again on the next tick too, since a coarse clock can give two changes in
a row the same mtime.

At start-up a finished experiment whose summary.json is newer than its log is taken from
the summary, so opening a store of a thousand long runs does not parse every log.
Everything that goes wrong with one folder (missing or broken files, permissions) marks
that experiment, never the reader.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.tracking.paths import HYPERPARAMETERS_FILE, METADATA_FILE, METRICS_FILE, SUMMARY_FILE
from runner.tracking.reading import (
    EXPERIMENT_FOLDER,
    GRACE_S,
    Problem,
    check_summary,
    log_problem,
    read_document,
)
from runner.tui.experiment import ENDED, ExperimentState
from runner.tui.tail import JsonlTail

RACY_NS = 2_000_000_000  # mtimes this recent may hide a second change in the same tick
DEFAULT_BUDGET = 1 << 20  # bytes of metric logs parsed per tick at most (~20 ms)


@dataclass
class Changes:
    changed: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    backlog: bool = False  # the byte budget ran out: call poll() again soon

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed)


def _sig(st: os.stat_result | None) -> tuple[int, int, int] | None:
    return None if st is None else (st.st_ino, st.st_size, st.st_mtime_ns)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


class _Budget:
    __slots__ = ("left", "starved")

    def __init__(self, left: int | None) -> None:
        self.left = left
        self.starved = False


class _Watch:
    """Per-folder bookkeeping: what was seen last, so the next tick can skip it."""

    __slots__ = ("dir", "dir_mtime", "meta_sig", "hp_sig", "tail", "first_seen", "loaded")

    def __init__(self, folder: str, first_seen: float) -> None:
        self.dir = folder
        self.dir_mtime: int | None = None
        self.meta_sig: tuple[int, int, int] | None = None
        self.hp_sig: tuple[int, int, int] | None = None
        self.tail = JsonlTail(os.path.join(folder, METRICS_FILE))
        self.first_seen = first_seen
        self.loaded = False


class StoreReader:
    """Live view of `<base_dir>/<name>_<id>/` folders as ExperimentState objects.

    Not thread-safe: one thread at a time calls poll() (the app's initial load runs in a
    worker, every later tick on the event loop, never both at once).
    """

    def __init__(self, base_dir: str | os.PathLike[str], clock: Any = time.time) -> None:
        self.base_dir = Path(base_dir)
        self.experiments: dict[str, ExperimentState] = {}
        self._watches: dict[str, _Watch] = {}
        self._base_mtime: int | None = None
        self._clock = clock
        self.base_error: str | None = None

    # ------------------------------------------------------------------ polling

    def poll(self, max_bytes: int | None = DEFAULT_BUDGET) -> Changes:
        """Read what changed since the last call; `max_bytes` bounds the log bytes parsed."""
        changes = Changes()
        now = self._clock()
        now_ns = int(now * 1e9)
        self._scan_base(now, now_ns, changes)
        budget = _Budget(max_bytes)
        for key, watch in self._watches.items():
            if self._poll_folder(key, watch, now, now_ns, budget):
                changes.changed.add(key)
        changes.backlog = budget.starved
        return changes

    def _scan_base(self, now: float, now_ns: int, changes: Changes) -> None:
        base = os.fspath(self.base_dir)
        st = _stat(base)
        if st is None:
            self.base_error = None if not self._watches else f"{base} disappeared"
            self._base_mtime = None
            self._forget(set(self._watches), changes)
            return
        self.base_error = None
        if st.st_mtime_ns == self._base_mtime and now_ns - st.st_mtime_ns > RACY_NS:
            return
        self._base_mtime = st.st_mtime_ns
        try:
            entries = list(os.scandir(base))
        except OSError as exc:
            self.base_error = f"cannot list {base}: {exc.strerror or exc}"
            return
        present = set()
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if not entry.is_dir(follow_symlinks=False):
                    continue
            except OSError:
                continue
            if name not in self._watches and not (
                EXPERIMENT_FOLDER.match(name)
                or os.path.isfile(os.path.join(entry.path, METADATA_FILE))
            ):
                continue
            present.add(name)
            if name not in self._watches:
                self._watches[name] = _Watch(entry.path, now)
        self._forget(set(self._watches) - present, changes)

    def _forget(self, keys: set[str], changes: Changes) -> None:
        for key in keys:
            self._watches.pop(key, None)
            if self.experiments.pop(key, None) is not None:
                changes.removed.add(key)

    def _poll_folder(
        self, key: str, watch: _Watch, now: float, now_ns: int, budget: _Budget
    ) -> bool:
        """Bring one experiment up to date; True if anything the views show changed."""
        try:
            dir_st = os.stat(watch.dir)
        except FileNotFoundError:
            return False  # deleted between the listing and now: the next scan drops it
        except OSError as exc:
            return self._set_problem(
                key, watch, Problem("unreadable", "folder", f"cannot be read ({exc})"))
        changed = False
        state = self.experiments.get(key)
        # A damaged row is re-checked every tick: a file repaired in place (an editor's save)
        # changes no folder mtime. Healthy rows rely on the folder, which atomic writes touch.
        if (state is None or state.problem is not None or dir_st.st_mtime_ns != watch.dir_mtime
                or now_ns - dir_st.st_mtime_ns < RACY_NS):
            watch.dir_mtime = dir_st.st_mtime_ns
            changed = self._read_documents(key, watch, now)
            state = self.experiments.get(key)
        if state is None or state.problem is not None:
            return changed
        try:
            log_st = os.stat(watch.tail.path)
        except FileNotFoundError:
            return changed
        except OSError as exc:
            state.warnings = [f"cannot read {METRICS_FILE}: {exc}"]
            return True
        problem = log_problem(watch.dir)
        if problem is not None:
            return self._set_problem(key, watch, problem)
        if not watch.loaded:
            watch.loaded = True
            if self._load_summary(state, watch, log_st):
                state.last_update = log_st.st_mtime
                state.version += 1
                return True
        if not watch.tail.needs_read(log_st):
            return changed
        if budget.left is not None and budget.left <= 0:
            budget.starved = True
            return changed
        try:
            got = watch.tail.read(log_st, budget.left)
        except OSError as exc:
            state.warnings = [f"cannot read {METRICS_FILE}: {exc}"]
            return True
        if budget.left is not None:
            budget.left -= got.read_bytes
            budget.starved = budget.starved or got.remaining > 0
        if got.reset:
            state.reset_metrics()
        state.absorb(got.records)
        state.bad_lines = watch.tail.bad_lines
        state.torn_tail = watch.tail.pending
        state.last_update = log_st.st_mtime
        state.version += 1
        return True

    def _load_summary(self, state: ExperimentState, watch: _Watch, log_st: os.stat_result) -> bool:
        """Take a finished experiment's statistics from summary.json if it covers the log."""
        if state.status not in ENDED:
            return False
        summary_st = _stat(os.path.join(watch.dir, SUMMARY_FILE))
        if summary_st is None or summary_st.st_mtime_ns < log_st.st_mtime_ns:
            return False
        doc, problem = read_document(os.path.join(watch.dir, SUMMARY_FILE))
        problem = problem or check_summary(doc)
        if problem is not None:
            self._set_problem(state.key, watch, problem)
            return True
        state.apply_summary(doc)
        watch.tail.skip_to(log_st)
        return True

    # ---------------------------------------------------------------- documents

    def _read_documents(self, key: str, watch: _Watch, now: float) -> bool:
        meta_path = os.path.join(watch.dir, METADATA_FILE)
        meta_st = _stat(meta_path)
        state = self.experiments.get(key)
        missing = Problem("incomplete", METADATA_FILE, "is missing")
        if meta_st is None:
            if state is not None and state.problem is None:
                # metadata.json vanished from a readable experiment: it is being deleted,
                # or damaged; show it as such rather than dropping a row that still exists
                return self._set_problem(key, watch, missing)
            if state is None and now - watch.first_seen < GRACE_S and not self._old(watch, now):
                return False  # a tracker is creating it right now
            return self._set_problem(key, watch, missing)
        changed = False
        if _sig(meta_st) != watch.meta_sig or state is None:
            watch.meta_sig = _sig(meta_st)
            doc, problem = read_document(meta_path)
            state = self._state(key, watch)
            if problem:
                state.mark_problem(problem)
            else:
                state.apply_metadata(doc)
            changed = True
        hp_path = os.path.join(watch.dir, HYPERPARAMETERS_FILE)
        hp_st = _stat(hp_path)
        if _sig(hp_st) != watch.hp_sig:
            watch.hp_sig = _sig(hp_st)
            doc, problem = read_document(hp_path) if hp_st is not None else ({}, None)
            state.warnings = [w for w in state.warnings if HYPERPARAMETERS_FILE not in w]
            if problem:
                state.warnings.append(str(problem))
                doc = {}
            state.apply_hyperparameters(doc)
            changed = True
        if changed:
            state.version += 1
        return changed

    def _old(self, watch: _Watch, now: float) -> bool:
        st = _stat(watch.dir)
        return st is not None and now - st.st_mtime > GRACE_S

    def _state(self, key: str, watch: _Watch) -> ExperimentState:
        state = self.experiments.get(key)
        if state is None:
            experiment_id = key.rsplit("_", 1)[-1] if "_" in key else key
            name = key.rsplit("_", 1)[0] if "_" in key else key
            state = self.experiments[key] = ExperimentState(
                key=key, path=Path(watch.dir), experiment_id=experiment_id, name=name)
        return state

    def _set_problem(self, key: str, watch: _Watch, problem: Problem) -> bool:
        state = self._state(key, watch)
        if state.status == problem.status and state.problem == str(problem):
            return False
        state.mark_problem(problem)
        state.version += 1
        return True
