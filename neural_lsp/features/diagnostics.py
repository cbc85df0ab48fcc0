"""Compiler diagnostics as LSP diagnostics: same code, range, severity, related info."""

from __future__ import annotations

from lsprotocol import types

from neural_lsp.core.documents import Snapshot

SOURCE = "neural"


def visible(snap: Snapshot, level: int) -> list:
    """Compiler diagnostics at or above the configured level (1 error ... 4 hint)."""
    return [d for d in snap.analysis.diagnostics if int(d.severity) <= level]


def to_lsp(snap: Snapshot, d) -> types.Diagnostic:
    lines = snap.lines
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=snap.uri, range=lines.range(r.start, r.end)),
            message=r.message,
        )
        for r in d.related
    ]
    return types.Diagnostic(
        range=lines.range(d.start, d.end),
        message=d.message,
        severity=types.DiagnosticSeverity(int(d.severity)),
        code=d.code,
        source=SOURCE,
        related_information=related or None,
    )


def for_snapshot(snap: Snapshot, level: int) -> list[types.Diagnostic]:
    """Converted once per (version, level)."""
    key = ("diagnostics", level)
    got = snap.cache.get(key)
    if got is None:
        got = snap.cache[key] = [to_lsp(snap, d) for d in visible(snap, level)]
    return got
