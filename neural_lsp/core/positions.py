"""Compiler offsets (code points) <-> LSP positions (UTF-16 units unless negotiated).

The compiler counts only "\\n" as a line break; LSP clients also count "\\r\\n" and a lone
"\\r". Positions are therefore computed here from the text with the client's rules, and
columns are converted to the negotiated encoding (only for lines that are not ASCII).
"""

from __future__ import annotations

import re
from bisect import bisect_right

from lsprotocol import types

UTF8 = types.PositionEncodingKind.Utf8.value
UTF16 = types.PositionEncodingKind.Utf16.value
UTF32 = types.PositionEncodingKind.Utf32.value

_NEWLINE = re.compile(r"\r\n?|\n")


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts (LSP line breaks: \\n, \\r\\n, \\r)."""
    if "\r" in text:
        return [0, *(m.end() for m in _NEWLINE.finditer(text))]
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def units(segment: str, encoding: str) -> int:
    """Length of `segment` in the code units of `encoding`."""
    if encoding == UTF32 or segment.isascii():
        return len(segment)
    if encoding == UTF8:
        return len(segment.encode("utf-8", "surrogatepass"))
    return len(segment.encode("utf-16-le", "surrogatepass")) // 2


CHUNK = 256  # characters per step of a long non-ASCII line's table


class _Wide:
    """Code units of a non-ASCII line, by chunks of CHUNK characters: the units before each
    chunk start are kept, so a column encodes at most one chunk of the line, not its prefix
    (which made N positions on one line cost N x line). Built with one encoding per chunk:
    a table of every wide character took 44 ms for a line of 46,000 emoji."""

    __slots__ = ("line", "encoding", "before", "size")

    def __init__(self, line: str, encoding: str) -> None:
        self.line = line
        self.encoding = encoding
        self.size = size = CHUNK
        before = [0]  # code units before chunk k
        for k in range(0, len(line), size):
            before.append(before[-1] + units(line[k:k + size], encoding))
        self.before = before

    def units(self, i: int) -> int:
        """Code units of the line's first i characters."""
        k = min(i // self.size, len(self.before) - 1)
        lo = k * self.size
        return self.before[k] + (units(self.line[lo:i], self.encoding) if i > lo else 0)

    def index(self, units_: int) -> int:
        """The first character at or after code unit `units_` (a unit inside a character
        lands after it); past the line's end, further by the units left."""
        before, size, line, enc = self.before, self.size, self.line, self.encoding
        k = bisect_right(before, units_) - 1  # the chunk holding that unit
        if k >= len(before) - 1:
            return len(line) + (units_ - before[-1])
        i, at = k * size, before[k]
        while at < units_:
            at += units(line[i], enc)
            i += 1
        return i


class LineMap:
    """Position conversions for one text; build once per document version."""

    __slots__ = ("text", "starts", "encoding", "ascii", "wide")

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding
        self.starts = line_starts(text)
        self.ascii = encoding == UTF32 or text.isascii()
        self.wide: dict[int, _Wide | None] = {}  # by line, built when first asked

    def _wide(self, line: int) -> _Wide | None:
        """The line's wide characters (None for a line with none), built once."""
        try:
            return self.wide[line]
        except KeyError:
            seg = self.text[self.starts[line]:self.line_end(line)]
            plain = seg.isascii() or units(seg, self.encoding) == len(seg)  # (e.g. é in UTF-16)
            w = self.wide[line] = None if plain else _Wide(seg, self.encoding)
            return w

    def edited(self, start: int, end: int, new: str) -> LineMap:
        """The map of this text with [start, end) replaced by `new`: the line starts before
        the edit are kept and those after it moved, not found again by reading the text."""
        old = self.text
        text = old[:start] + new + old[end:]
        if "\r" in new or "\r" in old:  # a CR can pair with an LF across the edit
            return LineMap(text, self.encoding)
        starts = self.starts
        i = bisect_right(starts, start)
        j = bisect_right(starts, end)
        delta = len(new) - (end - start)
        inner = []
        k = new.find("\n")
        while k >= 0:
            inner.append(start + k + 1)
            k = new.find("\n", k + 1)
        m = object.__new__(LineMap)
        m.text = text
        m.encoding = self.encoding
        m.starts = [*starts[:i], *inner, *(s + delta for s in starts[j:])] if delta or inner \
            or i != j else [*starts[:i], *starts[j:]]
        m.ascii = self.encoding == UTF32 or text.isascii()
        m.wide = {}
        return m

    def line_end(self, line: int) -> int:
        """Offset of the end of a line's content (before its line break)."""
        starts = self.starts
        if line + 1 >= len(starts):
            return len(self.text)
        nxt = starts[line + 1]
        if self.text[nxt - 1] == "\n" and nxt >= 2 and self.text[nxt - 2] == "\r":
            return nxt - 2
        return nxt - 1

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, max(0, offset)) - 1

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        offset = min(offset, self.line_end(line))
        if self.ascii:
            return types.Position(line, offset - start)
        w = self._wide(line)
        return types.Position(line, offset - start if w is None else w.units(offset - start))

    def column(self, line: int, offset: int) -> int:
        """The column (in code units) of `offset`, which lies on `line`."""
        start = self.starts[line]
        if self.ascii:
            return offset - start
        w = self._wide(line)
        return offset - start if w is None else w.units(offset - start)

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(self.position(start), self.position(max(start, end)))

    def offset(self, position: types.Position) -> int:
        line, character = position.line, position.character
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[line]
        end = self.line_end(line)
        character = max(0, character)
        w = None if self.ascii else self._wide(line)
        if w is None:
            return min(start + character, end)
        return min(start + w.index(character), end)

    def units(self, segment: str) -> int:
        return units(segment, self.encoding)
