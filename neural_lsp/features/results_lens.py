"""Code lenses above each network with what its runs and searches found:

    best val_loss 0.1867 · 12 trials (10 complete, 2 pruned) · 3 min ago
    latest run: completed 5 min ago · val_loss 0.2031

or, when the document's search space changed since the study, that it is out of date.
Clicking one opens the experiments TUI (the client's `neural.openTui`), given the store,
study and experiment as arguments.
"""

from __future__ import annotations

import math
import time
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from neural_lsp.core.convert import Lens
from neural_lsp.core.documents import Snapshot
from neural_lsp.results import study_match
from neural_lsp.results.study_files import Experiment, Study, View, latest_run

OPEN_TUI = "neural.openTui"  # a client command (vscode-extension/src/commands.ts)
STATE_ORDER = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
PREFERRED_METRICS = ("val_loss", "val_accuracy", "loss", "accuracy")


def ago(t: float | None, now: float | None = None) -> str:
    if t is None:
        return "at an unknown time"
    s = max(0.0, (now if now is not None else time.time()) - t)
    if s < 45:
        return "just now"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            n = round(s / size)
            return f"{n} {unit}{'s' if unit == 'day' and n != 1 else ''} ago"
    return "1 min ago"


def number(v: Any) -> str:
    if isinstance(v, float) and math.isfinite(v):
        return f"{v:.4g}"
    return str(v)


def last_activity(study: Study) -> float | None:
    times = [t.end or t.start for t in study.trials if (t.end or t.start)]
    return max(times) if times else None


def counts_text(study: Study) -> str:
    counts = study.counts()
    n = len(study.trials)
    parts = [f"{counts[s]} {s.lower()}" for s in STATE_ORDER if counts.get(s)]
    return f"{n} trial{'s' if n != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")


def study_text(study: Study, now: float | None = None) -> str:
    if not study.trials:
        return f"study {study.name}: no trial yet"
    best = study.best()
    head = f"best {study.metric} {number(best.value)}" if best is not None else \
        f"{study.metric}: no complete trial yet"
    return f"{head} · {counts_text(study)} · {ago(last_activity(study), now)}"


def stale_text(study: Study, changes: list[str]) -> str:
    first = changes[0] + (f"; {len(changes) - 1} more change(s)" if len(changes) > 1 else "")
    return f"study {study.name} was for an earlier version of this network ({first}) · " \
           f"{counts_text(study)}"


def run_text(exp: Experiment, metric: str | None, now: float | None = None) -> str:
    latest = exp.latest
    names = [metric] if metric else []
    names += [m for m in PREFERRED_METRICS if m not in names]
    shown = next((f" · {m} {number(latest[m])}" for m in names if isinstance(latest.get(m), (int, float))), "")
    return f"latest run: {exp.status} {ago(exp.start, now)}{shown}"


def lenses(snap: Snapshot, view: View | None, now: float | None = None) -> list[Lens]:
    if view is None:
        return []
    matches = study_match.for_snapshot(snap, view)
    path = to_fs_path(snap.uri) if snap.uri.startswith("file:") else None
    out = []
    for net in snap.analysis.networks:
        m = matches.get(net.name)
        if m is None:
            continue
        rng = net.node.start, net.node.name_end
        study = m.study
        if study is not None:
            out.append(_lens(rng, study_text(study, now), view, study.name, None))
        elif m.stale is not None:
            out.append(_lens(rng, stale_text(m.stale, m.changes), view, m.stale.name, None))
        exp = latest_run(view, net.name, path)
        if exp is not None:
            metric = study.metric if study is not None else None
            out.append(_lens(rng, run_text(exp, metric, now), view, None, exp.key))
    return out


def _lens(rng: tuple[int, int], title: str, view: View, study: str | None,
          experiment: str | None) -> Lens:
    target = {"baseDir": view.base, "study": study, "experiment": experiment}
    return (*rng, types.Command(title=title, command=OPEN_TUI, arguments=[target]))
