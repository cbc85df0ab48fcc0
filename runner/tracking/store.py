"""Plain-file storage: an append-only JSON Lines log and small JSON documents.

The metric log is the hot path. Each record is one `os.write` of one complete line on a
descriptor opened with O_APPEND: no user-space buffer can hold a record back, so once the
call returns the line is in the kernel and survives SIGKILL of the process; concurrent
threads and processes appending to the same file cannot interleave inside a line. The cost
per call does not depend on how long the log already is. `fsync` (power-loss safety) is left
to `sync()`, called at the end of a run, since it costs ~40x a write.

JSON documents (metadata, hyperparameters, artifacts) change rarely; they are rewritten
whole through a temporary file and `os.replace`, so a reader never sees half a document,
and read-modify-write cycles hold an exclusive `flock` so two processes cannot lose each
other's update.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from runner.tracking.errors import StoreWarning

try:  # POSIX advisory locks; elsewhere only the in-process lock applies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


class JsonlWriter:
    """Appends one JSON object per line; thread-safe, O(1) per record, crash-safe per line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._lock = threading.Lock()

    def _open(self) -> int:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        # A previous writer killed mid-line left no newline: end that fragment so our first
        # record starts on its own line (the reader skips the fragment with a warning).
        size = os.fstat(fd).st_size
        if size:
            with open(self.path, "rb") as f:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    os.write(fd, b"\n")
        return fd

    def append(self, record: dict[str, Any]) -> None:
        """Write `record` as one line; raises ValueError for values JSON cannot hold."""
        self.append_line(_dumps(record))

    def append_line(self, line: str) -> None:
        data = (line + "\n").encode("utf-8")
        with self._lock:
            fd = self._fd
            if fd is None:
                fd = self._fd = self._open()
            written = os.write(fd, data)
            while written < len(data):  # only on exotic filesystems or a full disk
                written += os.write(fd, data[written:])

    def sync(self) -> None:
        """fsync: make the log survive power loss, not only process death."""
        with self._lock:
            if self._fd is not None:
                os.fsync(self._fd)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _warn_bad_line(path: Path, lineno: int, raw: bytes, last: bool) -> None:
    what = "torn last line (a writer was killed mid-write)" if last else "corrupt line"
    preview = raw[:60].decode("utf-8", "replace")
    warnings.warn(
        f"{path}:{lineno}: skipped {what}: {preview!r}", StoreWarning, stacklevel=3
    )


class JsonlReader:
    """Incremental reader: each `read_new()` parses only bytes appended since the last call.

    An unterminated last line stays pending, since a live writer in another process may be
    finishing it; it is warned about (once) as torn when `final=True`, and parsed normally
    if its end arrives later.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.offset = 0
        self.lineno = 0
        self._partial = b""
        self._warned_partial = -1

    def read_new(self, final: bool = False) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        records = []
        for raw in lines:
            self.lineno += 1
            record = _parse(raw)
            if record is not None:
                records.append(record)
            elif raw.strip():
                _warn_bad_line(self.path, self.lineno, raw, last=False)
        if lines:
            self._warned_partial = -1
        if final and self._partial.strip():
            record = _parse(self._partial)
            if record is not None:  # complete JSON from a foreign writer, newline missing
                records.append(record)
                self.lineno += 1
                self._partial = b""
            elif self._warned_partial != self.offset:
                self._warned_partial = self.offset
                _warn_bad_line(self.path, self.lineno + 1, self._partial, last=True)
        return records

    @property
    def pending(self) -> bool:
        return bool(self._partial.strip())

    @property
    def committed_offset(self) -> int:
        """Byte offset just after the last complete line read (where a successor resumes)."""
        return self.offset - len(self._partial)


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every readable record of a JSON Lines file; bad lines are skipped with a StoreWarning."""
    return JsonlReader(path).read_new(final=True)


def read_json(path: str | os.PathLike[str], default: Any = None) -> Any:
    """A JSON document, or `default` if the file does not exist."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Replace a JSON document atomically (temporary file in the same folder + os.replace)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


_thread_locks: dict[str, threading.RLock] = {}
_lock_depth: dict[str, int] = {}
_thread_locks_guard = threading.Lock()


@contextlib.contextmanager
def locked(directory: str | os.PathLike[str]) -> Iterator[None]:
    """Exclusive lock on a folder's `.lock` file, across threads and processes (re-entrant)."""
    key = os.path.abspath(directory)
    with _thread_locks_guard:
        tlock = _thread_locks.setdefault(key, threading.RLock())
    with tlock:
        depth = _lock_depth.get(key, 0)
        _lock_depth[key] = depth + 1
        fd = None
        try:
            if fcntl is not None and depth == 0:  # a second flock in-process would deadlock
                fd = os.open(os.path.join(key, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            if fd is not None:
                os.close(fd)  # closing releases the flock
            _lock_depth[key] = depth


def update_json(
    path: str | os.PathLike[str], change: Callable[[Any], Any], default: Any = None
) -> Any:
    """Read-modify-write a JSON document under the folder lock; returns the new document."""
    path = Path(path)
    with locked(path.parent):
        data = read_json(path, default)
        data = change(data)
        write_json(path, data)
        return data
