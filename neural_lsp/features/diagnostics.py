"""Which of the compiler's diagnostics are sent, and the one that sums up those left out
(all offset-based, as the compiler makes them: core.convert.diagnostic converts them)."""

from __future__ import annotations

from collections import Counter

from compiler.diagnostics import Diagnostic
from neural_lsp.core.documents import Snapshot

MAX_SHOWN = 1000  # diagnostics sent per document


def visible(snap: Snapshot, level: int) -> list:
    """Compiler diagnostics at or above the configured level (1 error ... 4 hint)."""
    return [d for d in snap.analysis.diagnostics if int(d.severity) <= level]


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


def summary(left_out: list) -> Diagnostic:
    """One diagnostic for those left out: how many, of which codes, at the first of them,
    as severe as the most severe of them (so the client's counts still say errors); it has
    no code."""
    codes = Counter([d.code for d in left_out]).most_common()
    listed = ", ".join(f"{c} ×{n:,}" for c, n in codes[:5]) + (", …" if len(codes) > 5 else "")
    first = left_out[0]
    return Diagnostic(None, f"{len(left_out):,} more diagnostics are not shown ({listed}); "
                            f"the first {MAX_SHOWN:,} are",
                      first.start, first.end, min(d.severity for d in left_out))


def sent(snap: Snapshot, level: int) -> list:
    """Those `shown`, and a summary of the rest."""
    kept, left_out = shown(snap, level)
    return [*kept, summary(left_out)] if left_out else kept
