"""Reading only what was appended to a JSON Lines file since the last look.

The TUI re-reads nothing: each file keeps a byte offset, and a read parses the complete
lines between that offset and the end (or a byte budget, so one huge backlog cannot stall a
refresh tick). An unterminated last line is kept pending, since its writer may be finishing
it. A file that shrank or was replaced (new inode) is read again from the start and the
caller is told, so it can drop what it derived from the old content. Bad lines are counted,
never warned about: warnings would scribble over the terminal UI.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from runner.tracking.reading import record_problem


@dataclass
class TailRead:
    records: list[dict[str, Any]] = field(default_factory=list)
    reset: bool = False  # the file was truncated or replaced: earlier records are void
    remaining: int = 0  # bytes left unread because of the budget
    read_bytes: int = 0
    bad: int = 0  # lines that were not JSON objects


def parse_lines(lines: list[bytes]) -> tuple[list[dict[str, Any]], int]:
    """(records, number of bad lines): one json.loads for the whole batch when all are good."""
    if not lines:
        return [], 0
    try:
        batch = json.loads(b"[" + b",".join(lines) + b"]")
    except (ValueError, UnicodeDecodeError, RecursionError):  # [[[[... deeper than json parses
        batch = None
    if batch is not None and all(record_problem(r) is None for r in batch):
        return batch, 0
    records, bad = [], 0
    for raw in lines:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            record = None
        if record_problem(record) is None:
            records.append(record)
        else:
            bad += 1
    return records, bad


class JsonlTail:
    """Incremental reader of one append-only JSON Lines file."""

    __slots__ = ("path", "offset", "_partial", "_ino", "bad_lines")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.offset = 0
        self._partial = b""
        self._ino: int | None = None
        self.bad_lines = 0

    @property
    def pending(self) -> bool:
        """True while an unterminated last line waits for its end (or its writer died)."""
        return bool(self._partial.strip())

    def skip_to(self, st: os.stat_result) -> None:
        """Treat everything up to the current end as read (its content is known elsewhere)."""
        self._ino = st.st_ino
        self.offset = st.st_size
        self._partial = b""

    def needs_read(self, st: os.stat_result) -> bool:
        return st.st_size != self.offset or st.st_ino != self._ino

    def read(self, st: os.stat_result | None = None, max_bytes: int | None = None) -> TailRead:
        """Parse the complete lines appended since the last call (at most `max_bytes` read)."""
        out = TailRead()
        if st is None:
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                return out
        if (self._ino is not None and st.st_ino != self._ino) or st.st_size < self.offset:
            out.reset = True
            self.offset, self._partial, self.bad_lines = 0, b"", 0
        self._ino = st.st_ino
        want = st.st_size - self.offset
        if want <= 0:
            return out
        if max_bytes is not None and want > max_bytes:
            out.remaining = want - max_bytes
            want = max_bytes
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read(want)
        except FileNotFoundError:
            return out
        self.offset += len(chunk)
        out.read_bytes = len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        if self._partial.endswith(b"}") and not out.remaining:
            # A foreign writer may leave the final newline out: a complete object is a record.
            records, bad = parse_lines([self._partial])
            if records and not bad:
                lines.append(self._partial)
                self._partial = b""
        out.records, out.bad = parse_lines(lines)
        self.bad_lines += out.bad
        return out
