"""Source positions: nodes store character offsets; lines and columns are derived on demand.

Offsets keep the parser cheap (two ints per node); `LineIndex` turns them into the
0-based (line, character) pairs LSP uses, or the 1-based ones compilers print.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    line: int  # 0-based
    character: int  # 0-based, in code points

    def __str__(self) -> str:
        return f"{self.line + 1}:{self.character + 1}"


@dataclass(frozen=True, slots=True)
class Range:
    start: Position
    end: Position


class LineIndex:
    """Maps offsets to positions and back for one text."""

    __slots__ = ("text", "starts")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.starts = starts

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        return Position(line, offset - self.starts[line])

    def line(self, offset: int) -> int:
        """The 0-based line of an offset: `position(offset).line` without the Position."""
        return bisect_right(self.starts, max(0, min(offset, len(self.text)))) - 1

    def range(self, start: int, end: int) -> Range:
        return Range(self.position(start), self.position(end))

    def offset(self, line: int, character: int) -> int:
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[line]
        line_end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        return min(start + max(0, character), line_end)
