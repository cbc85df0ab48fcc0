"""The process that draws automatic plots.

`python -m runner.tracking.plot_worker DIR` serves one experiment (a tracker's own
AutoPlotter): each `render` line on stdin is answered with `ok N` or `error MESSAGE`.

`python -m runner.tracking.plot_worker --serve` serves many (one per search, see
session.py): `render DIR` redraws an experiment's plots, `final DIR` draws them one last
time and forgets it; each is answered with `ok DIR N` or `error DIR MESSAGE`. Requests
that pile up while it draws are merged (one drawing per folder), so it never falls
further behind than one drawing per experiment. When stdin closes it finishes what was
asked and exits: a search that ends, or dies, leaves no plot process behind for long.

Either way it reads metrics.jsonl itself (the store is the only channel: nothing is copied
through the pipe), and drawing in another process keeps matplotlib off the logging
process's GIL and off its critical path.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import warnings
from pathlib import Path
from typing import Any


class _Histories:
    """Each folder's history, read incrementally between drawings."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[Any, list[dict[str, Any]]]] = {}

    def draw(self, folder: str) -> int:
        from runner.tracking.store import JsonlReader
        from runner.tracking.tracker import METRICS_FILE, PLOTS_DIR
        from runner.tracking.values import decode_metric
        from runner.tracking.visualizer import MetricVisualizer

        if folder not in self._open:
            self._open[folder] = (JsonlReader(Path(folder) / METRICS_FILE), [])
        reader, history = self._open[folder]
        for record in reader.read_new(final=True):
            history.append({k: decode_metric(v) for k, v in record.items()})
        if not history:
            return 0
        saved = MetricVisualizer.save_figures(MetricVisualizer.create_all(history),
                                              Path(folder) / PLOTS_DIR)
        return len(saved)

    def forget(self, folder: str) -> None:
        self._open.pop(folder, None)


def _attempt(histories: _Histories, folder: str) -> str:
    try:
        return f"ok {histories.draw(folder)}"
    except Exception as exc:
        return "error " + f"{type(exc).__name__}: {exc}".replace("\n", " ")


def _serve_one(folder: str, replies: Any) -> None:
    histories = _Histories()
    for line in sys.stdin:
        if line.strip() == "render":
            replies.write(_attempt(histories, folder) + "\n")
            replies.flush()


def _read_requests(requests: queue.Queue[tuple[str, str] | None]) -> None:
    for line in sys.stdin:
        op, _, folder = line.strip().partition(" ")
        if op in ("render", "final") and folder:
            requests.put((op, folder))
    requests.put(None)


def _serve_many(replies: Any) -> None:
    requests: queue.Queue[tuple[str, str] | None] = queue.Queue()
    threading.Thread(target=_read_requests, args=(requests,), daemon=True).start()
    histories = _Histories()
    pending: dict[str, str] = {}  # folder -> "render" | "final", in arrival order
    ended = False
    while not ended or pending:
        if not pending:
            item = requests.get()
            if item is None:
                ended = True
                continue
            pending[item[1]] = item[0]
        while True:  # merge whatever else arrived while we were drawing
            try:
                item = requests.get_nowait()
            except queue.Empty:
                break
            if item is None:
                ended = True
                break
            op, folder = item
            pending[folder] = "final" if "final" in (op, pending.get(folder)) else op
        folder = next(iter(pending))
        op = pending.pop(folder)
        reply = _attempt(histories, folder)
        if op == "final":
            histories.forget(folder)
        kind, _, rest = reply.partition(" ")
        try:
            replies.write(f"{kind} {folder} {rest}\n")
            replies.flush()
        except (OSError, ValueError):  # nobody listens any more: keep drawing what was asked
            pass


def _yield_to_training() -> None:
    """Training comes first: the helper runs only on otherwise idle CPU time (SCHED_IDLE on
    Linux; a nice of 10, which still takes a share of a busy core, elsewhere). On a 2-core
    machine a drawing at nice 10 slowed the next trial's two framework threads by ~20%."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return
    except (AttributeError, OSError):
        pass
    try:
        os.nice(10)
    except (AttributeError, OSError):
        pass


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m runner.tracking.plot_worker EXPERIMENT_DIR | --serve",
              file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")  # a torn line is the logging process's business
    _yield_to_training()
    from runner.tracking.workers import claim_stdout

    replies = claim_stdout()
    if args[0] == "--serve":
        _serve_many(replies)
    else:
        _serve_one(args[0], replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
