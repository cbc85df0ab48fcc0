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
from runner.tracking.reading import record_problem

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
        self._torn = False  # the file may end in a fragment of ours: start on a new line
        self._end = -1  # file size just after our last write
        self._next: int | None = None  # the next automatic number, if known

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
        with self._lock:
            fd = self._fd
            if fd is None:
                fd = self._fd = self._open()
            self._write(fd, line)

    def _write(self, fd: int, line: str) -> None:
        data = (line + "\n").encode("utf-8")
        if self._torn:  # an earlier write failed half-way and its fragment is still there
            data = b"\n" + data
        written = 0
        try:
            written = os.write(fd, data)
            while written < len(data):  # only on exotic filesystems or a full disk
                written += os.write(fd, data[written:])
        except OSError:
            if written:
                self._torn = not _cut_fragment(fd, written)
            raise
        self._torn = False
        self._end = os.lseek(fd, 0, os.SEEK_CUR)  # O_APPEND: just after our line

    def append_numbered(self, fields: dict[str, Any], key: str = "step") -> int:
        """Append `{key: n, **fields}` with n one more than the last record's `key`, unique
        across every writer of the file (threads and processes): the number is chosen and
        the line written under an exclusive `flock` of the log. The last number is read from
        the end of the file only when someone else appended since our last write."""
        with self._lock:
            fd = self._fd
            if fd is None:
                fd = self._fd = self._open()
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                size = os.fstat(fd).st_size
                if self._next is None or size != self._end:
                    self._next = last_value(self.path, key, size) + 1
                number = self._next
                self._write(fd, _dumps({key: number, **fields}))
                self._next = number + 1
            finally:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            return number

    def note_number(self, number: int) -> None:
        """An explicitly numbered record was written: later automatic numbers follow it."""
        with self._lock:
            if self._next is not None and number >= self._next:
                self._next = number + 1

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


TAIL_CHUNK = 1 << 16


def last_value(path: str | os.PathLike[str], key: str, size: int | None = None) -> int:
    """The integer `key` of the last record in a JSON Lines file that has one, or -1.

    Read backwards from the end in 64 KiB chunks: the cost is that of the last few records,
    not of the history (a 60 MB log was read whole, 2.9 s and 700 MB, to find one number).
    A fragment after the last newline (a torn write) is not a record and is passed over.
    """
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return -1
    with f:
        pos = os.fstat(f.fileno()).st_size if size is None else size
        pending, seen_newline = b"", False
        while pos > 0:
            start = max(0, pos - TAIL_CHUNK)
            f.seek(start)
            lines = (f.read(pos - start) + pending).split(b"\n")
            pos = start
            if not seen_newline:
                if len(lines) == 1:  # all of it after the last newline: a torn fragment
                    pending = b""
                    continue
                seen_newline = True
                lines.pop()  # after the last newline: empty, or a torn fragment
            pending = lines.pop(0) if pos > 0 else b""  # may continue in the chunk before
            for raw in reversed(lines):
                record = _parse(raw)
                if record is not None and type(record.get(key)) is int:
                    return record[key]
        return -1


def _cut_fragment(fd: int, written: int) -> bool:
    """After a failed write of which `written` bytes landed (a full disk), cut them off
    again if nothing was appended after them; True if the file ends on a whole line again.

    Truncating needs no free space. If another writer appended meanwhile, the fragment
    stays, and the caller starts its next record on a new line instead.
    """
    try:
        end = os.lseek(fd, 0, os.SEEK_CUR)  # O_APPEND: just after our bytes
        if os.fstat(fd).st_size != end:
            return False
        os.ftruncate(fd, end - written)
        return True
    except OSError:
        return False


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
    except (ValueError, UnicodeDecodeError, RecursionError):  # [[[[... deeper than json parses
        return None
    return record if record_problem(record) is None else None


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


def write_json(path: str | os.PathLike[str], data: Any, *, default: Callable[[Any], Any] | None = None,
               allow_nan: bool = False) -> None:
    """Replace a JSON document atomically (temporary file in the same folder + os.replace).
    The one writer of the project's JSON documents; `default`/`allow_nan` as json.dumps
    (hpo_results.json keeps NaN epochs and stringifies what JSON cannot hold)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=allow_nan, default=default)
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()  # a full disk must not also leave a half-written temporary file
        raise


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
