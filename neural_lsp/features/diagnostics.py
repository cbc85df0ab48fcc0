"""Compiler diagnostics as LSP diagnostics: same code, range, severity, related info."""

from __future__ import annotations

from collections import Counter

from lsprotocol import types

from neural_lsp.core.documents import Snapshot

SOURCE = "neural"
MAX_SHOWN = 1000  # diagnostics sent per document


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


def shown(snap: Snapshot, level: int) -> tuple[list, list]:
    """(the compiler diagnostics sent to the client, those left out), once per (version, level).

    At most MAX_SHOWN are sent, the most severe first, in document order. Past a few
    thousand, converting and serialising them costs seconds on the event loop (46,000 took
    12.5 s to publish) and no editor lists them all: VS Code's extension host keeps 1,000 per
    file too. What is left out is summed up in one more diagnostic (`summary`)."""
    key = ("shown", level)
    got = snap.cache.get(key)
    if got is None:
        items = visible(snap, level)
        got = snap.cache[key] = (items, []) if len(items) <= MAX_SHOWN else _most_severe(items)
    return got


def _most_severe(items: list) -> tuple[list, list]:
    """The first MAX_SHOWN by severity, then document order: every diagnostic more severe
    than the cut's, and the first ones as severe as it (one pass, no sort)."""
    per = Counter(d.severity for d in items)
    room, cut = MAX_SHOWN, None
    for sev in sorted(per):
        if per[sev] >= room:
            cut = sev
            break
        room -= per[sev]
    kept, left_out = [], []
    for d in items:
        sev = d.severity
        if sev < cut or (sev == cut and room > 0):
            kept.append(d)
            room -= sev == cut
        else:
            left_out.append(d)
    return kept, left_out


def summary(snap: Snapshot, left_out: list) -> types.Diagnostic:
    """One diagnostic for those left out: how many, of which codes, at the first of them,
    as severe as the most severe of them (so the client's counts still say errors)."""
    codes = Counter([d.code for d in left_out]).most_common()
    listed = ", ".join(f"{c} ×{n:,}" for c, n in codes[:5]) + (", …" if len(codes) > 5 else "")
    first = left_out[0]
    return types.Diagnostic(
        range=snap.lines.range(first.start, first.end),
        message=f"{len(left_out):,} more diagnostics are not shown ({listed}); "
                f"the first {MAX_SHOWN:,} are",
        severity=types.DiagnosticSeverity(int(min(d.severity for d in left_out))),
        source=SOURCE,
    )


def for_snapshot(snap: Snapshot, level: int) -> list[types.Diagnostic]:
    """Converted once per (version, level): those `shown`, and a summary of the rest."""
    key = ("diagnostics", level)
    got = snap.cache.get(key)
    if got is None:
        kept, left_out = shown(snap, level)
        got = [to_lsp(snap, d) for d in kept]
        if left_out:
            got.append(summary(snap, left_out))
        snap.cache[key] = got
    return got
