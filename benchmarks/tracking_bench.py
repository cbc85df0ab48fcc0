"""Throughput of the tracking store against its floor and its alternatives, in one process.

    python benchmarks/tracking_bench.py                 # the issue's sizes (~7 minutes:
                                                        # the naive tracker and MLflow are slow)
    python benchmarks/tracking_bench.py --n 1000 --experiments 100   # quick

Prints calls per second for N `log_metrics` calls with:
  * floor   - a bare loop appending one JSON line and flushing per call (the least any
              store with this crash guarantee can do),
  * ours    - ExperimentTracker.log_metrics (also with auto-plots on, with 10 metrics per
              call, and with an MLflow mirror attached: queued off the hot path),
  * naive   - a tracker that rewrites its whole JSON history file per call,
  * MLflow  - mlflow.log_metric on a local SQLite store (MLflow 3's default kind),
the tracking cost of a one-epoch trial (standalone vs in a search's TrackingSession), and
the time ExperimentManager.list_experiments takes with M experiments.
Fast measurements are the best of --repeat runs (the machine may be shared). Everything
runs in a temporary folder, which is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runner.tracking import ExperimentManager, ExperimentTracker  # noqa: E402


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def bench_floor(root: Path, n: int) -> float:
    path = root / "floor.jsonl"
    with open(path, "a", encoding="utf-8") as f:
        start = time.perf_counter()
        for i in range(n):
            f.write(json.dumps({"step": i, "timestamp": time.time(), "loss": 1.0 / (i + 1)}) + "\n")
            f.flush()
        return time.perf_counter() - start


def bench_ours(root: Path, n: int, keys: int = 1, auto_visualize: bool = False,
               backend: str | None = None, options: dict | None = None) -> tuple[float, float]:
    """(seconds for n log_metrics calls, seconds for finish())."""
    tracker = ExperimentTracker("bench", base_dir=root / "ours", auto_visualize=auto_visualize,
                                capture_environment=False, backend=backend,
                                backend_options=options)
    names = [f"m{k}" for k in range(keys)] if keys > 1 else ["loss"]
    start = time.perf_counter()
    for i in range(n):
        value = 1.0 / (i + 1)
        tracker.log_metrics({name: value for name in names}, step=i)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    tracker.finish()
    finish = time.perf_counter() - start
    assert len(tracker.metrics_history) == n
    return elapsed, finish


def bench_auto_steps(root: Path, n: int) -> float:
    """Seconds for n log_metrics calls without a step (numbered under the log's flock)."""
    tracker = ExperimentTracker("auto", base_dir=root / "auto", auto_visualize=False,
                                capture_environment=False)
    start = time.perf_counter()
    for i in range(n):
        tracker.log_metrics({"loss": 1.0 / (i + 1)})
    elapsed = time.perf_counter() - start
    tracker.close()
    return elapsed


def bench_trials(root: Path, trials: int, epochs: int = 1) -> tuple[float, float]:
    """(seconds per trial standalone, seconds per trial in a TrackingSession): what tracking
    costs a short (pruned) trial: create, hyperparameters, `epochs` records, finish."""
    from runner.tracking.session import TrackingSession

    def trial(k: int, session: TrackingSession | None) -> None:
        tracker = ExperimentTracker(f"trial{k}", base_dir=root / "trials", session=session)
        tracker.log_hyperparameters({"lr": 10 ** -(k % 4), "units": 32})
        for epoch in range(epochs):
            tracker.log_metrics({"loss": 1.0 / (epoch + 1), "val_loss": 1.1 / (epoch + 1)},
                                step=epoch)
        tracker.finish("pruned")

    trial(-1, None)  # imports, the process-wide caches: not what a trial pays
    start = time.perf_counter()
    for k in range(trials):
        trial(k, None)
    standalone = (time.perf_counter() - start) / trials
    start = time.perf_counter()
    session = TrackingSession()  # once per search: counted in
    for k in range(trials):
        trial(k, session)
    session.close()
    shared = (time.perf_counter() - start) / trials
    return standalone, shared


def bench_naive(root: Path, n: int) -> float:
    path = root / "naive.json"
    history: list[dict] = []
    start = time.perf_counter()
    for i in range(n):
        history.append({"step": i, "timestamp": time.time(), "loss": 1.0 / (i + 1)})
        with open(path, "w", encoding="utf-8") as f:
            json.dump(history, f)
    return time.perf_counter() - start


def bench_mlflow(root: Path, n: int) -> tuple[float, float] | None:
    """(seconds for n mlflow.log_metric calls, seconds for set_experiment + start_run)."""
    try:
        import mlflow
    except ImportError:
        return None
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    start = time.perf_counter()
    mlflow.set_experiment("bench")
    run = mlflow.start_run()
    setup = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(n):
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
    elapsed = time.perf_counter() - start
    mlflow.end_run()
    assert run.info.run_id
    return elapsed, setup


def bench_listing(root: Path, count: int) -> tuple[float, float, int]:
    """(seconds to create `count` finished experiments, median list_experiments seconds, size)."""
    base = root / "many"
    start = time.perf_counter()
    for k in range(count):
        tracker = ExperimentTracker(f"exp{k}", base_dir=base, auto_visualize=False,
                                    tags={"batch": str(k % 10)})
        tracker.log_hyperparameters({"lr": 10 ** -(k % 5), "seed": k})
        for step in range(5):
            tracker.log_metrics({"loss": 1.0 / (step + 1 + k), "acc": step / 5}, step=step)
        tracker.finish()
    created = time.perf_counter() - start
    manager = ExperimentManager(base)
    times, listed = [], 0
    for _ in range(5):
        start = time.perf_counter()
        listed = len(manager.list_experiments())
        times.append(time.perf_counter() - start)
    return created, statistics.median(times), listed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="log calls per backend (10,000)")
    parser.add_argument("--naive-n", type=int, help="calls for the naive tracker (default: --n; "
                                                    "it is O(n^2): 10,000 take minutes)")
    parser.add_argument("--mlflow-n", type=int, help="calls for MLflow (default: --n; ~160/s)")
    parser.add_argument("--experiments", type=int, default=1000,
                        help="experiments for the listing benchmark (1,000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="best of this many runs for the fast measurements (3)")
    parser.add_argument("--trials", type=int, default=10,
                        help="one-epoch trials for the per-trial tracking cost (10)")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=("naive", "mlflow", "listing", "mirror", "trials"),
                        help="parts to leave out")
    args = parser.parse_args(argv)
    n = args.n
    naive_n = args.naive_n or n
    mlflow_n = args.mlflow_n or n
    root = Path(tempfile.mkdtemp(prefix="neural-tracking-bench-"))
    old_cwd = os.getcwd()
    os.chdir(root)  # nothing lands in the caller's folder, MLflow's defaults included
    os.environ.setdefault("MPLBACKEND", "Agg")
    warnings.simplefilter("ignore")
    rows: list[tuple[str, int, float, str]] = []
    try:
        print(f"tracking benchmark: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
              f"temp folder {root}", flush=True)
        best_of = max(1, args.repeat)
        floor = rate(n, min(bench_floor(root, n) for _ in range(best_of)))
        rows.append(("floor: append + flush one JSON line per call", n, floor,
                     "1.00x the floor's time per call"))

        def add(label: str, calls: int, seconds: float, note: str = "") -> float:
            r = rate(calls, seconds)
            rows.append((label, calls, r, f"{floor / r:.2f}x the floor's time per call" + note))
            print(f"  {label}: {r:,.0f} calls/s", flush=True)
            return r

        def best(**kw: object) -> tuple[float, float]:
            return min(bench_ours(root, n, **kw) for _ in range(best_of))

        ours_s, ours_finish = best()
        ours = add("ours: ExperimentTracker.log_metrics, 1 metric", n, ours_s,
                   f"; finish {ours_finish:.2f} s")
        s, fin = best(keys=10)
        add("ours: log_metrics, 10 metrics per call", n, s,
            f"; {10 * rate(n, s):,.0f} values/s")
        s, fin = best(auto_visualize=True)
        add("ours: log_metrics, auto-plots every 10 logs", n, s,
            f"; finish incl. final plots {fin:.2f} s")
        add("ours: log_metrics, automatic steps (unique across processes)", n,
            min(bench_auto_steps(root, n) for _ in range(best_of)))
        trial_costs = None
        if "trials" not in args.skip:
            print(f"  {args.trials} one-epoch trials, standalone and in a session...", flush=True)
            trial_costs = bench_trials(root, args.trials)
        if "mirror" not in args.skip:
            try:
                s, fin = bench_ours(root, n, backend="mlflow",
                                    options={"tracking_uri": str(root / "mirror")})
                add("ours: log_metrics with an MLflow mirror (own process)", n, s,
                    f"; finish drains the mirror in {fin:.2f} s")
            except Exception as exc:  # the mirror is optional
                print(f"  MLflow mirror skipped: {exc}")
        naive = mlflow_rate = None
        if "naive" not in args.skip:
            print(f"  naive tracker: {naive_n:,} calls (rewrites its JSON file per call)...",
                  flush=True)
            naive = add("naive: rewrite the whole JSON history per call", naive_n,
                        bench_naive(root, naive_n))
        if "mlflow" not in args.skip:
            print(f"  mlflow.log_metric: {mlflow_n:,} calls on a local SQLite store...", flush=True)
            result = bench_mlflow(root, mlflow_n)
            if result is None:
                print("  MLflow is not installed: skipped")
            else:
                mlflow_rate = add("MLflow: mlflow.log_metric, local SQLite store", mlflow_n,
                                  result[0], f"; set_experiment + start_run {result[1]:.2f} s")
        listing = None
        if "listing" not in args.skip:
            print(f"  creating {args.experiments:,} experiments for the listing...", flush=True)
            listing = bench_listing(root, args.experiments)

        print()
        width = max(len(r[0]) for r in rows)
        print(f"{'log_metrics throughput':<{width}}  {'calls':>7}  {'calls/s':>10}  note")
        for label, calls, r, note in rows:
            print(f"{label:<{width}}  {calls:>7,}  {r:>10,.0f}  {note}")
        print()
        verdict = "meets" if floor / ours <= 3 else "MISSES"
        print(f"ours vs floor: {floor / ours:.2f}x ({verdict} the target of within 3x)")
        if mlflow_rate:
            print(f"ours vs mlflow.log_metric: {ours / mlflow_rate:,.0f}x the calls per second")
        if naive:
            print(f"ours vs naive rewrite-per-call tracker ({naive_n:,} calls): "
                  f"{ours / naive:,.0f}x")
        if trial_costs:
            standalone, shared = trial_costs
            print(f"tracking cost of a one-epoch trial: {shared * 1000:.0f} ms in a "
                  f"TrackingSession (what a search uses) vs {standalone * 1000:.0f} ms "
                  f"standalone ({standalone / shared:.1f}x: environment captured and plots "
                  "drawn in the trial)")
        if listing:
            created, listed_s, count = listing
            print(f"list_experiments with {count:,} experiments: {listed_s * 1000:.1f} ms "
                  f"(median of 5; creating them took {created:.1f} s, "
                  f"{created / max(count, 1) * 1000:.1f} ms each with environment capture)")
    finally:
        os.chdir(old_cwd)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
