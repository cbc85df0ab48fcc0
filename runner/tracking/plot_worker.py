"""The process that draws automatic plots: `python -m runner.tracking.plot_worker DIR`.

It reads metrics.jsonl incrementally (the store is the only channel: nothing is copied
through the pipe) and answers each `render` line on stdin with `ok N` or `error MESSAGE`
on stdout. Drawing in another process keeps matplotlib off the logging process's GIL.
It exits when stdin closes, which also happens when the logging process dies.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m runner.tracking.plot_worker EXPERIMENT_DIR", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")  # a torn line is the logging process's business
    try:
        os.nice(10)  # training comes first when cores are scarce
    except (AttributeError, OSError):
        pass
    from runner.tracking.store import JsonlReader
    from runner.tracking.tracker import METRICS_FILE, PLOTS_DIR
    from runner.tracking.values import decode_metric
    from runner.tracking.visualizer import MetricVisualizer
    from runner.tracking.workers import claim_stdout

    replies = claim_stdout()
    folder = Path(args[0])
    reader = JsonlReader(folder / METRICS_FILE)
    history: list[dict] = []
    for line in sys.stdin:
        if line.strip() != "render":
            continue
        try:
            for record in reader.read_new():
                history.append({k: decode_metric(v) for k, v in record.items()})
            saved = MetricVisualizer.save_figures(
                MetricVisualizer.create_all(history), folder / PLOTS_DIR
            )
            reply = f"ok {len(saved)}"
        except Exception as exc:
            reply = "error " + f"{type(exc).__name__}: {exc}".replace("\n", " ")
        replies.write(reply + "\n")
        replies.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
