"""Refresh cost of `neural tui` on a big store, measured on the real app.

    python benchmarks/tui_bench.py                      # the issue's size: 1,000 experiments
                                                        # x 10,000 metric records (~1 GB, ~1 min)
    python benchmarks/tui_bench.py --experiments 200 --points 2000      # quick

Writes a store straight to a temporary folder (metadata.json, hyperparameters.json,
metrics.jsonl, summary.json per experiment, the layout ExperimentTracker writes; most
experiments completed, --running of them live without a summary), starts the real
NeuralTUI headless (Textual's run_test, 120x40), waits for the first load, then times
`NeuralTUI.refresh_tick()` - the method the app's timer calls:
  * idle   - nothing changed on disk,
  * new    - one record appended to every running experiment, plus a new experiment
             folder every few rounds,
  * a whole 10,000-record log arriving at once - read in byte-budget slices, one per tick,
and, for scale, the same refresh done naively in the same process (ExperimentManager
listing every experiment again plus re-reading the running logs whole). Also printed:
the first load, Textual's repaint after a tick, and the user actions that rebuild the
table (sorting, filtering). The target is a tick under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runner.tracking.manager import ExperimentManager, load_history  # noqa: E402
from runner.tracking.summary import summarize  # noqa: E402

TEMPLATES = 8
ENVIRONMENT = {
    "python": {"version": "3.11.7", "implementation": "CPython", "executable": "/usr/bin/python3"},
    "platform": {"system": "Linux", "release": "6.1", "machine": "x86_64", "hostname": "bench"},
    "cpu": {"model": "bench cpu", "count": 8}, "memory_bytes": 32 << 30, "gpus": [],
    "packages": {f"package-{i}": f"{i}.0.0" for i in range(12)},
    "git": {"commit": "0" * 40, "branch": "main", "dirty": False},
    "command": {"argv": ["neural", "run", "model.neural"], "cwd": "/tmp", "pid": 1},
}


def _log_template(k: int, points: int, t0: float) -> tuple[bytes, dict]:
    """metrics.jsonl content and its summary for one family of runs."""
    lines, records = [], []
    scale = 1.0 + k / TEMPLATES
    for step in range(points):
        loss = scale / (1.0 + step * 0.01)
        rec = {"step": step, "timestamp": t0 + step * 0.1, "loss": loss,
               "val_loss": loss * 1.1 + 0.01, "accuracy": 1.0 - loss / (2 * scale)}
        records.append(rec)
        lines.append(json.dumps(rec, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode(), summarize(records)


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2))


def make_store(root: Path, experiments: int, points: int, running: int) -> list[Path]:
    """A store like ExperimentTracker writes it; returns the running experiments' folders."""
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.time() - experiments * 60
    templates = [_log_template(k, points, t0) for k in range(TEMPLATES)]
    live = []
    for i in range(experiments):
        experiment_id = f"{i:08x}"
        folder = root / f"bench_{i % 20}_{experiment_id}"
        folder.mkdir()
        is_running = i >= experiments - running
        log, summary = templates[i % TEMPLATES]
        start = t0 + i * 60
        meta = {
            "experiment_id": experiment_id, "experiment_name": f"bench_{i % 20}",
            "status": "running" if is_running else "completed",
            "start_time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(start)),
            "start_timestamp": start, "end_time": None if is_running else "x",
            "duration_s": None if is_running else 50.0 + i % 7,
            "tags": {"group": str(i % 5)}, "notes": "", "backends": [], "mirrors": [],
            "environment": ENVIRONMENT,
        }
        _write_json(folder / "hyperparameters.json", {
            "lr": 10 ** -(1 + i % 4), "batch_size": 32 * (1 + i % 2), "layers": 2 + i % 3,
            "dataset": "digits", "program": "model.neural"})
        _write_json(folder / "metadata.json", meta)
        (folder / "metrics.jsonl").write_bytes(log)
        if is_running:
            live.append(folder)
        else:
            _write_json(folder / "summary.json", {
                "experiment_id": experiment_id, "experiment_name": meta["experiment_name"],
                "status": "completed", "metric_records": points, "metrics": summary})
    return live


def append_record(folder: Path, step: int) -> None:
    line = json.dumps({"step": step, "timestamp": time.time(), "loss": 0.5, "val_loss": 0.6,
                       "accuracy": 0.9}, separators=(",", ":")) + "\n"
    fd = os.open(folder / "metrics.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def new_experiment(root: Path, n: int, points: int = 100) -> None:
    experiment_id = f"f{n:07x}"
    folder = root / f"fresh_{experiment_id}"
    folder.mkdir()
    _write_json(folder / "hyperparameters.json", {"lr": 0.5, "batch_size": 16})
    _write_json(folder / "metadata.json", {
        "experiment_id": experiment_id, "experiment_name": "fresh", "status": "running",
        "start_time": "now", "start_timestamp": time.time(), "tags": {}, "mirrors": []})
    for step in range(points):
        append_record(folder, step)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def naive_refresh(root: Path, running: list[Path]) -> float:
    """What a refresh costs without incremental reading: list again, re-read live logs."""
    start = time.perf_counter()
    ExperimentManager(root).list_experiments()
    for folder in running:
        load_history(folder)
    return time.perf_counter() - start


async def measure(root: Path, running: list[Path], rounds: int) -> None:
    from runner.tui.app import NeuralTUI

    app = NeuralTUI(root, interval=3600)  # the timer never fires: ticks are driven here
    start = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.loaded:
            await pilot.pause(0.01)
        loaded = time.perf_counter() - start
        await pilot.pause()
        first_paint = time.perf_counter() - start
        rows = app.table.row_count
        print(f"first load ({rows} rows): read {ms(loaded)}, first paint {ms(first_paint)}")
        await asyncio.sleep(2.2)  # let the start-up files age past the racy-mtime window

        idle = []
        for _ in range(rounds):
            t = time.perf_counter()
            changes = app.refresh_tick()
            idle.append(time.perf_counter() - t)
            assert not changes, changes
        pause_idle = []
        for _ in range(5):
            t = time.perf_counter()
            await pilot.pause()
            pause_idle.append(time.perf_counter() - t)

        busy, repaint, created = [], [], 0
        for r in range(rounds):
            for i, folder in enumerate(running):
                append_record(folder, 100_000 + r * len(running) + i)
            if r % 5 == 0:
                new_experiment(root, created)
                created += 1
            t = time.perf_counter()
            changes = app.refresh_tick()
            busy.append(time.perf_counter() - t)
            assert len(changes.changed) >= len(running), changes
            t = time.perf_counter()
            await pilot.pause()
            repaint.append(time.perf_counter() - t)
        assert app.table.row_count == rows + created, (app.table.row_count, rows, created)

        # a whole long log arriving at once (a run copied in): read in budget slices
        big = root / "copied_fffffff0"
        shutil.copytree(running[0], big)
        _write_json(big / "metadata.json", {"experiment_id": "fffffff0", "status": "running",
                                            "experiment_name": "copied",
                                            "start_timestamp": time.time()})
        slices = []
        while True:
            t = time.perf_counter()
            changes = app.refresh_tick()
            slices.append(time.perf_counter() - t)
            if not changes.backlog:
                break
        size_mb = (big / "metrics.jsonl").stat().st_size / 1e6

        naive = [naive_refresh(root, running) for _ in range(3)]

        print(f"refresh tick, idle     : median {ms(statistics.median(idle))}   "
              f"max {ms(max(idle))}   ({rounds} ticks)")
        print(f"refresh tick, new data : median {ms(statistics.median(busy))}   "
              f"max {ms(max(busy))}   ({len(running)} logs appended per tick, "
              f"{created} new experiments)")
        print(f"naive refresh (list all + re-read live logs): median "
              f"{ms(statistics.median(naive))}   -> incremental is "
              f"{statistics.median(naive) / statistics.median(busy):.0f}x faster with new data, "
              f"{statistics.median(naive) / statistics.median(idle):.0f}x idle")
        print(f"a {size_mb:.1f} MB log arriving at once: {len(slices)} tick(s), longest "
              f"{ms(max(slices))} (budget {app.max_bytes / 1e6:.1f} MB of log per tick)")
        extra = statistics.median(repaint) - statistics.median(pause_idle)
        print(f"Textual repaint after a tick with new data: median ~{ms(max(extra, 0.0))} "
              f"(event-loop turn with changes minus one without)")

        table = app.table
        t = time.perf_counter()
        table.sort_by("m:val_loss:best", reverse=False)
        sort_s = time.perf_counter() - t
        t = time.perf_counter()
        from runner.tui.filters import parse_filter

        app.model.set_filter(parse_filter("tag:group=1"))
        table.rebuild()
        filter_s = time.perf_counter() - t
        await pilot.pause()
        t = time.perf_counter()
        app.model.set_filter(parse_filter(""))
        table.rebuild()
        unfilter_s = time.perf_counter() - t
        t = time.perf_counter()
        await pilot.pause()
        unfilter_paint = time.perf_counter() - t
        print(f"user actions: sort {ms(sort_s)}, filter to {table.row_count // 5} rows "
              f"{ms(filter_s)}, clear filter (rebuild {table.row_count} rows) {ms(unfilter_s)} "
              f"+ repaint {ms(unfilter_paint)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--points", type=int, default=10_000, help="metric records each")
    parser.add_argument("--running", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--dir", help="build the store here (default: a temporary folder)")
    args = parser.parse_args()
    tmp = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="neural-tui-bench-"))
    root = tmp / "store"
    try:
        t = time.perf_counter()
        running = make_store(root, args.experiments, args.points, args.running)
        size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
        print(f"store: {args.experiments} experiments x {args.points} records "
              f"({size / 1e6:.0f} MB, {args.running} running) written in "
              f"{time.perf_counter() - t:.1f}s")
        asyncio.run(measure(root, running, args.rounds))
    finally:
        shutil.rmtree(tmp if not args.dir else root, ignore_errors=True)


if __name__ == "__main__":
    main()
