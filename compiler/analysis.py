"""The one entry point every surface uses: text in, everything the compiler knows out."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from compiler.checks import Checker
from compiler.diagnostics import Diagnostic, Severity
from compiler.model import NetworkIR
from compiler.offsets import ShiftLog
from compiler.parser import parse
from compiler.shapes import NetworkShapes, infer
from compiler.source import LineIndex
from compiler.syntax import File


@dataclass(slots=True, eq=False)
class Analysis:
    text: str
    tree: File
    networks: list[NetworkIR]
    shapes: list[NetworkShapes]
    diagnostics: list[Diagnostic]
    _index: LineIndex | None = field(default=None)
    # What an edit needs to redo part of the work (compiler.incremental): the macros as
    # checked, and the diagnostics that belong to no layer statement.
    checker: Checker | None = None
    file_diags: list[Diagnostic] = field(default_factory=list)
    # Offset moves of edits that the layer statements after them take when read
    # (compiler.offsets.ShiftLog); None until an edit was analysed incrementally.
    shifts: ShiftLog | None = None

    def settle(self) -> None:
        """Apply every pending offset move: afterwards any node, and the model and search space
        that read offsets from nodes, may be read directly (not only through `Network.layers`)."""
        if self.shifts is not None:
            self.shifts.settle([n.layers for n in self.tree.networks if n.layers])

    @property
    def index(self) -> LineIndex:
        if self._index is None:
            self._index = LineIndex(self.text)
        return self._index

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == Severity.ERROR]

    @property
    def syntax_errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.code.startswith("N1")]

    def network(self, name: str | None = None) -> NetworkIR | None:
        if name is None:
            return self.networks[0] if self.networks else None
        return next((n for n in self.networks if n.name == name), None)

    def shapes_of(self, net: NetworkIR) -> NetworkShapes | None:
        return next((s for s in self.shapes if s.network is net), None)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic GC off for the block (then back as it was).

    An analysis allocates many small objects and frees none of them while it runs, and
    whatever reads it afterwards (`neural shapes` building its records) keeps all of them
    alive too: every collection would scan the whole analysis again for nothing (about a
    fifth of an analysis at 10,000 layers, more than half of `neural shapes` at 100,000).
    On the way out, what the block allocated is moved to the oldest generation in one step
    (freeze, unfreeze): left young, the first collection after it would scan all of it
    (3.6 million objects, a second, at 100,000 layers). Not when something else has frozen
    objects (the language server does): unfreezing would thaw those too.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def analyze(text: str) -> Analysis:
    """Parse, check and infer shapes; never raises on any text."""
    with gc_paused():
        return _analyze(text)


def _analyze(text: str) -> Analysis:
    tree, diags = parse(text)
    checker = Checker(text, tree)
    networks = checker.check()
    shapes = [infer(net)[0] for net in networks]
    # Diagnostics of layer statements are kept per statement; the rest once for the file.
    owned = {id(d) for net in networks for d in _network_diags(net)}
    diags.extend(d for d in checker.diags if id(d) not in owned)
    a = Analysis(text, tree, networks, shapes, [], checker=checker, file_diags=diags)
    a.diagnostics = assemble(a)
    return a


def _network_diags(net: NetworkIR) -> list[Diagnostic]:
    out = [d for s in net.stmts for d in s.diags]
    out.extend(net.tail_diags)
    return out


def assemble(a: Analysis) -> list[Diagnostic]:
    """Every diagnostic of the analysis, in order of position (then code)."""
    diags = list(a.file_diags)
    for net in a.networks:
        diags.extend(_network_diags(net))
    for res in a.shapes:
        for part in res.stmt_diags:
            diags.extend(part)
    diags.sort(key=position_order)
    return diags


def position_order(d: Diagnostic) -> tuple[int, str]:
    return d.start, d.code
