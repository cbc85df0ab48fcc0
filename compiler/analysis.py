"""The one entry point every surface uses: text in, everything the compiler knows out."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from compiler.checks import check
from compiler.diagnostics import Diagnostic, Severity
from compiler.model import NetworkIR
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


def analyze(text: str) -> Analysis:
    """Parse, check and infer shapes; never raises on any text."""
    # The analysis allocates many small objects and frees none of them while it runs:
    # pausing the cyclic GC saves its repeated scans (about a fifth at 10,000 layers).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(text)
    finally:
        if enabled:
            gc.enable()


def _analyze(text: str) -> Analysis:
    tree, diags = parse(text)
    networks, check_diags = check(text, tree)
    diags.extend(check_diags)
    shapes = []
    for net in networks:
        res, shape_diags = infer(net)
        shapes.append(res)
        diags.extend(shape_diags)
    diags.sort(key=lambda d: (d.start, d.code))
    return Analysis(text, tree, networks, shapes, diags)
