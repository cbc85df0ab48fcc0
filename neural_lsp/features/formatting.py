"""Document formatting: canonical spacing and indentation, comments kept.

The text is re-printed from the compiler's tokens (`compiler.lexer.tokenize`), line by
line as the user broke it: two spaces per level of nesting (network body, blocks,
continued argument lists), the layers of `layers:` one level deeper, `name=value`,
`key: value`, one space after commas, trailing comments of consecutive lines aligned two spaces
after the longest code, at most one blank line in a row. Line breaks are never added or removed, so the parser sees the same
statements; a file with syntax errors is left alone, and the result is analysed again
and must describe the same program, or nothing is changed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from compiler.lexer import tokenize
from compiler.parser import SECTION_KEYS

INDENT = "  "
_WS = re.compile(r"\s+")


class NotFormatted(Exception):
    """Why a text was left as it is (for the log)."""


@dataclass(slots=True)
class _Frame:
    bracket: str
    content: int  # indent level of lines inside
    close: int  # indent level of a line starting with the closer
    kind: str  # body (network), block (layers), dict, paren
    layers: bool = False  # in a network body: inside the `layers:` section


_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")": "(", "]": "[", "}": "{"}


def format_text(text: str) -> str:
    """The formatted text; raises NotFormatted when it must stay as it is."""
    if re.search(r"\r(?!\n)", text):
        raise NotFormatted("the file uses lone carriage returns as line breaks")
    toks = tokenize(text)
    if toks.diagnostics:
        raise NotFormatted("the file has syntax errors")
    items = [(k, t, s) for k, t, s in zip(toks.kinds, toks.texts, toks.starts, strict=True) if k != "eof"]
    items += [("comment", c.rstrip(), s) for c, s, _e in toks.comments]
    items.sort(key=lambda x: x[2])
    eol = "\r\n" if "\r\n" in text else "\n"
    bom = "\ufeff" if text.startswith("\ufeff") else ""

    # group by original line ("\n" is the only line break the lexer knows)
    line_no = 0
    pos = 0
    lines: list[tuple[int, list]] = []
    for it in items:
        line_no += text.count("\n", pos, it[2])
        pos = it[2]
        if lines and lines[-1][0] == line_no:
            lines[-1][1].append(it)
        else:
            lines.append((line_no, [it]))

    out: list[tuple[str, str | None]] = []  # (code, trailing comment)
    frames: list[_Frame] = []
    prev_line = None
    for n, (ln, row) in enumerate(lines):
        if prev_line is not None and ln - prev_line > 1 and out:
            out.append(("", None))
        prev_line = ln
        level = _line_level(row, frames, lines[n + 1][1] if n + 1 < len(lines) else None)
        comment = row[-1][1] if row[-1][0] == "comment" and len(row) > 1 else None
        code = _join(row[:-1] if comment is not None else row, frames, level)
        out.append((INDENT * level + code, comment))
    body = eol.join(_align(out))
    return bom + body + eol if body else bom


def _align(rows: list[tuple[str, str | None]]) -> list[str]:
    """Trailing comments of consecutive lines start in one column, two spaces after the
    longest code among them."""
    done: list[str] = []
    i = 0
    while i < len(rows):
        code, comment = rows[i]
        if comment is None:
            done.append(code)
            i += 1
            continue
        j = i
        while j < len(rows) and rows[j][1] is not None:
            j += 1
        width = max(len(c) for c, _ in rows[i:j]) + 2
        done.extend(c.ljust(width) + m for c, m in rows[i:j])
        i = j
    return done


def _is_section_key(row: list, i: int) -> bool:
    k, t, _ = row[i]
    if k != "name" or t.lower() not in SECTION_KEYS or i + 1 >= len(row):
        return False
    nxt = row[i + 1][0]
    return nxt == ":" or (nxt == "{" and t.lower() in ("train", "training", "execute", "execution"))


def _line_level(row: list, frames: list[_Frame], next_row: list | None) -> int:
    first = row[0]
    if first[0] in _CLOSE:
        for f in reversed(frames):
            if f.bracket == _CLOSE[first[0]]:
                return f.close
        return 0
    if not frames:
        return 0
    top = frames[-1]
    if top.kind == "body":
        if _is_section_key(row, 0):
            top.layers = row[0][1].lower() == "layers"
            return top.content
        if first[0] == "comment" and top.layers and next_row is not None and _is_section_key(next_row, 0):
            return top.content  # a comment above the next section belongs to it
        return top.content + (1 if top.layers else 0)
    return top.content


def _space(a: tuple, b: tuple, frames: list[_Frame]) -> str:
    ak, bk = a[0], b[0]
    if ak in ("(", "["):
        return ""
    if bk in (")", "]", ",", ";", ":"):
        return ""
    if ak in (",", ";", ":"):
        return " "
    if ak == "=" or bk == "=":
        return ""
    if ak in ("-", "+"):
        return ""  # a sign: the language has no arithmetic
    if bk == "(":
        return "" if ak == "name" else " "
    if bk in ("*", "@") or ak in ("*", "@"):
        return " "
    top = frames[-1] if frames else None
    if ak == "{":
        return "" if bk == "}" or (top is not None and top.kind == "dict") else " "
    if bk == "}":
        return "" if top is not None and top.kind == "dict" else " "
    return " "


def _join(row: list, frames: list[_Frame], level: int) -> str:
    parts: list[str] = []
    prev = None
    for i, it in enumerate(row):
        k, t, _s = it
        if k in _CLOSE:
            # spacing before a closer is decided by the frame it closes
            if prev is not None:
                parts.append(_space(prev, it, frames))
            while frames and frames[-1].bracket != _CLOSE[k]:
                frames.pop()
            if frames:
                frames.pop()
            parts.append(t)
            prev = it
            continue
        if prev is not None:
            parts.append(_space(prev, it, frames))
        parts.append(t)
        if k in _OPEN:
            frames.append(_Frame(k, level + 1, level, _frame_kind(row, i, frames)))
        prev = it
    return "".join(parts)


def _frame_kind(row: list, i: int, frames: list[_Frame]) -> str:
    k = row[i][0]
    if k != "{":
        return "paren"
    before = row[i - 1] if i > 0 else None
    if before is not None and before[0] == "name":
        before2 = row[i - 2] if i > 1 else None
        if before2 is not None and before2[0] == "name" and before2[1].lower() == "network":
            return "body"
        return "block"
    if before is not None and before[0] == ")":
        return "block"
    if before is not None and before[0] == ":" and frames and frames[-1].kind == "body":
        return "block"  # train: { ... }
    return "dict"


# ---------------------------------------------------------------------- safety
def fingerprint(a) -> tuple:
    """What a program means, independent of spacing: diagnostics (with their text, spaces
    removed), each network's layers and shapes, its search space."""
    def squeeze(s: str) -> str:
        return _WS.sub("", s)

    diags = tuple((d.code, int(d.severity), d.message, squeeze(a.text[d.start:d.end]))
                  for d in a.diagnostics)
    nets = []
    for net, ns in zip(a.networks, a.shapes, strict=True):
        layers = tuple((ls.layer.name, ls.layer.path, ls.layer.macro,
                        tuple(ls.outputs or ()), str(ls.params)) for ls in ns.layers)
        space = tuple((p.name, p.kind, p.describe()) for p in net.space or ())
        nets.append((net.name, tuple(net.inputs), layers, space, str(ns.total_params)))
    return diags, tuple(nets)


def format_checked(text: str, analysis) -> str:
    """format_text, verified: the new text must analyse to the same program."""
    from compiler.analysis import analyze

    if analysis.syntax_errors:
        raise NotFormatted("the file has syntax errors")
    new = format_text(text)
    if new != text and fingerprint(analyze(new)) != fingerprint(analysis):
        raise NotFormatted("formatting would change what the program means (a formatter bug)")
    return new


def line_edits(old: str, new: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) character spans, one per changed run of lines."""
    if old == new:
        return []
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    if len(a) > 5000:
        i = 0
        while i < min(len(a), len(b)) and a[i] == b[i]:
            i += 1
        j = 0
        while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
            j += 1
        return [(starts[i], starts[len(a) - j], "".join(b[i:len(b) - j]))]
    out = []
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            out.append((starts[i1], starts[i2], "".join(b[j1:j2])))
    return out
