"""Semantic tokens (full and range), classified from the syntax tree: layers, macros,
parameters, sections and settings, values, HPO, comments."""

from __future__ import annotations

from compiler.layers import lookup
from compiler.syntax import HPO, Branch, Call, Const, DictV, Ident, Num, Str
from neural_lsp.core.advertised import TOKEN_TYPES
from neural_lsp.core.documents import Snapshot
from neural_lsp.query import walk

_T = {t: i for i, t in enumerate(TOKEN_TYPES)}
DECL, LIB = 1, 2


class _Collector:
    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.out: list[tuple[int, int, int, int]] = []  # start, end, type, modifiers
        self.macros = walk.macro_names(snap.analysis.tree)

    def add(self, start: int, end: int, kind: str, mods: int = 0) -> None:
        if end > start >= 0:
            self.out.append((start, end, _T[kind], mods))

    def value(self, v, layer: bool = False) -> None:
        if isinstance(v, Num):
            self.add(v.start, v.end, "number")
        elif isinstance(v, Str):
            self.add(v.start, v.end, "string")
        elif isinstance(v, Const):
            self.add(v.start, v.end, "keyword")
        elif isinstance(v, Ident):
            self.add(v.start, v.end, "enumMember")
        elif isinstance(v, DictV):
            for _k, ks, ke, x in v.items:
                self.add(ks, ke, "property")
                self.value(x, layer)
        elif isinstance(v, HPO):
            self.add(v.start, v.start + 3, "keyword")
            self.add(v.kind_start, v.kind_end, "function", LIB)
            for a in v.args:
                self.arg(a, layer)
        elif isinstance(v, Call):
            self.call(v, layer)
        else:
            for c in walk.children(v):
                self.value(c, layer)

    def arg(self, a, layer: bool) -> None:
        if a.name is not None:
            self.add(a.name_start, a.name_end, "parameter")
        self.value(a.value, layer)

    def call(self, c: Call, layer: bool) -> None:
        if layer:
            if walk.macro_of(c.name, self.macros) is not None:
                self.add(c.name_start, c.name_end, "macro")
            else:
                self.add(c.name_start, c.name_end, "class", LIB if lookup(c.name) else 0)
        else:
            self.add(c.name_start, c.name_end, "function", LIB)
        for a in c.args or ():
            self.arg(a, layer)
        for st in c.block or ():
            self.stmt(st)

    def stmt(self, st) -> None:
        e = st.expr
        if isinstance(e, Call):
            self.call(e, True)
        elif isinstance(e, HPO):
            self.value(e, True)
        elif isinstance(e, Branch):
            self.add(e.name_start, e.name_end, "property")
            for s in e.block:
                self.stmt(s)
        if st.repeat is not None:
            self.value(st.repeat)
        if st.device is not None:
            self.add(st.device.start, st.device.end, "string")

    def run(self) -> list[tuple[int, int, int, int]]:
        tree = self.snap.analysis.tree
        for d in tree.defines:
            self.add(d.start, d.start + len("define"), "keyword")
            self.add(d.name_start, d.name_end, "macro", DECL)
            for st in d.body:
                self.stmt(st)
        for n in tree.networks:
            self.add(n.start, n.start + len("network"), "keyword")
            self.add(n.name_start, n.name_end, "type", DECL)
            for sec in n.sections:
                self.add(sec.key_start, sec.key_end, "keyword")
            for v in n.inputs:
                self.value(v)
            for st in n.layers or ():
                self.stmt(st)
            for v in (n.loss, n.optimizer, n.metrics):
                if v is not None:
                    self.value(v)
            keys = {sec.key_start for sec in n.sections}  # `epochs:` in the body is a section
            for e in (*n.train, *n.execute, *n.unknown):
                if e.key_start not in keys:
                    self.add(e.key_start, e.key_end, "property")
                self.value(e.value)
        for c in tree.comments:
            self.add(c.start, c.end, "comment")
        self.out.sort()
        return self.out


def tokens(snap: Snapshot) -> list[tuple[int, int, int, int]]:
    got = snap.cache.get("semantic")
    if got is None:
        got = snap.cache["semantic"] = _Collector(snap).run()
    return got


def encode(snap: Snapshot, start: int = 0, end: int | None = None) -> list[int]:
    """LSP's relative encoding: line delta, start delta, length, type, modifiers.

    Tokens are sorted, so lines are found by walking forward (no bisection, no Position
    objects): linear in the number of tokens."""
    lines = snap.lines
    starts = lines.starts
    n_lines = len(starts)
    data: list[int] = []
    prev_line = prev_char = 0
    last_end = -1
    line = 0
    for s, e, t, m in tokens(snap):
        if s < last_end or s < start or (end is not None and s >= end):
            continue  # overlapping (should not happen) or outside the range
        last_end = e
        while line + 1 < n_lines and starts[line + 1] <= s:
            line += 1
        e = min(e, lines.line_end(line))
        if e <= s:
            continue
        col = lines.column(line, s)
        length = lines.column(line, e) - col
        dl = line - prev_line
        data.extend((dl, col - prev_char if dl == 0 else col, length, t, m))
        prev_line, prev_char = line, col
    return data
