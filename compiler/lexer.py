"""Tokenizer: one compiled regular expression, tokens as parallel lists (cheap to index)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from compiler import diagnostics as dg
from compiler.diagnostics import Diagnostic

_BLANK = r"[ \t\r\f\v\ufeff]"
_COMMENT = r"(?:\#|//)[^\n]*"
# Text holding no token: blanks, line breaks, comments.
GAP = re.compile(rf"(?:{_BLANK}|\n|{_COMMENT})*")

# A character no token starts with; a run of them (blanks between) is one N101, not one
# per character: a pasted line of 46,000 emoji was 46,000 diagnostics.
_BAD = r"""(?:(?![ \t\r\f\v\ufeff\nA-Za-z0-9_"'(){}\[\],:=@*;+\-#]|//|\.\d).)"""

# Leading blanks are folded into each match: half as many matches as a separate ws token.
_TOKEN = re.compile(
    rf"""
    {_BLANK}*
    (?:
     (?P<nl>\n)
    |(?P<comment>{_COMMENT})
    |(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
    |(?P<punct>[(){{}}\[\],:=@*;+-])
    |(?P<open_str>["'])
    |(?P<bad>{_BAD}+(?:{_BLANK}+{_BAD}+)*)
    |(?P<end>$)
    )
    """,
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


def unescape(body: str) -> str:
    """The value of a string literal's body; unknown escapes keep their backslash."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "\\" and i + 1 < n:
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


@dataclass(slots=True)
class Tokens:
    kinds: list[str] = field(default_factory=list)  # "name", "num", "str", a punctuation char, "eof"
    texts: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    bol: list[bool] = field(default_factory=list)  # first token on its line
    cols: list[int] = field(default_factory=list)  # column of the token on its line
    comments: list[tuple[str, int, int]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def tokenize(text: str, start: int = 0, stop: int | None = None) -> Tokens:
    """Tokens of text[start:stop] with offsets into the whole text; `start` must begin a line
    (tokens never cross a line break, so any run of whole lines tokenizes on its own).

    When most lines are repeats (a long program repeats its layer lines), each distinct line
    is scanned once and a line met again takes the tokens of its first time, moved to where
    it is (a line with a diagnostic is scanned every time). Otherwise the text is scanned in
    one go: line by line costs more per line than it saves when lines are different."""
    toks = Tokens()
    kinds, texts, starts, ends, bol, cols = (
        toks.kinds, toks.texts, toks.starts, toks.ends, toks.bol, toks.cols,
    )
    n = len(text) if stop is None else stop
    lines = text[start:n].split("\n")
    if len(lines) < 64 or len(set(lines)) * 2 > len(lines):
        # An unterminated string ends its line; scanning resumes at that newline.
        resume = _scan(text, start, toks, start, True, n)
        while resume is not None:
            resume = _scan(text, resume, toks, resume, False, n)
        lines = []
    seen: dict[str, _Line | None] = {}  # a line's text -> its tokens, None: scan each time
    pos = start
    for line in lines:
        got = seen.get(line, _NEW)
        if got is _NEW or got is None:
            mark, marks = len(kinds), (len(toks.comments), len(toks.diagnostics))
            _scan(text, pos, toks, pos, True, pos + len(line))
            if got is _NEW:
                seen[line] = None if len(toks.diagnostics) > marks[1] else _Line(
                    kinds[mark:], texts[mark:], [x - pos for x in starts[mark:]],
                    [x - pos for x in ends[mark:]], bol[mark:], cols[mark:],
                    [(c, s - pos, e - pos) for c, s, e in toks.comments[marks[0]:]])
        elif got.kinds:
            kinds += got.kinds
            texts += got.texts
            starts += [x + pos for x in got.starts]
            ends += [x + pos for x in got.ends]
            bol += got.bol
            cols += got.cols
            if got.comments:
                toks.comments += [(c, s + pos, e + pos) for c, s, e in got.comments]
        elif got.comments:
            toks.comments += [(c, s + pos, e + pos) for c, s, e in got.comments]
        pos += len(line) + 1
    kinds.append("eof")
    texts.append("")
    starts.append(n)
    ends.append(n)
    bol.append(True)
    cols.append(0)
    return toks


class _Line(NamedTuple):
    """The tokens of one line, offsets from its start."""

    kinds: list[str]
    texts: list[str]
    starts: list[int]
    ends: list[int]
    bol: list[bool]
    cols: list[int]
    comments: list[tuple[str, int, int]]


_NEW = object()


def next_token(text: str, pos: int) -> str:
    """The kind of the first token at or after `pos`, as `tokenize` names it ("eof" if none):
    what the parser looks at next from there."""
    for m in _TOKEN.finditer(text, pos):
        kind = m.lastgroup
        if kind is None or kind == "end":
            break
        if kind in ("nl", "comment", "bad"):
            continue
        if kind == "punct":
            return m.group(kind)
        return "str" if kind == "open_str" else kind
    return "eof"


def _scan(text: str, pos0: int, toks: Tokens, line_start: int, at_bol: bool, n: int) -> int | None:
    """Tokenize from pos0; returns where to resume after an unterminated string, or None."""
    kinds, texts, starts, ends, bol, cols = (
        toks.kinds, toks.texts, toks.starts, toks.ends, toks.bol, toks.cols,
    )
    for m in _TOKEN.finditer(text, pos0, n):
        kind = m.lastgroup
        if kind is None or kind == "end":
            break
        pos, end = m.span(kind)
        if kind == "nl":
            line_start = end
            at_bol = True
            continue
        if kind == "comment":
            toks.comments.append((m.group(kind), pos, end))
            continue
        if kind == "bad":
            run = end - pos
            what = (f"invalid character {text[pos]!r}" if run == 1 else
                    f"invalid characters {text[pos]!r} ... {text[end - 1]!r} ({run:,} characters)")
            toks.diagnostics.append(dg.make("N101", what, pos, end))
            continue
        if kind == "open_str":
            # An unterminated string: report it and take the rest of the line as its text.
            line_end = text.find("\n", pos, n)
            str_end = n if line_end < 0 else line_end
            toks.diagnostics.append(
                dg.make("N104", "unterminated string: add the closing quote", pos, str_end)
            )
            kinds.append("str")
            texts.append(text[pos:str_end] + text[pos])
            starts.append(pos)
            ends.append(str_end)
            bol.append(at_bol)
            cols.append(pos - line_start)
            return None if line_end < 0 else str_end
        tok = m.group(kind)
        kinds.append(tok if kind == "punct" else kind)
        texts.append(tok)
        starts.append(pos)
        ends.append(end)
        bol.append(at_bol)
        cols.append(pos - line_start)
        at_bol = False
    return None
