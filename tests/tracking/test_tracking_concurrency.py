"""Several processes on different experiments, several threads on one: nothing is lost."""

import threading
import warnings
from pathlib import Path

from tracking_helpers import spawn

from runner.tracking import ExperimentManager

PROCESS = r"""
import sys, threading
from runner.tracking import ExperimentTracker
base, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
tracker = ExperimentTracker(name, base_dir=base, auto_visualize=False, capture_environment=False)
for i in range(n):
    tracker.log_metrics({"value": i}, step=i)
tracker.finish()
"""

APPENDER = r"""
import sys
from runner.tracking import ExperimentManager
base, experiment_id, offset, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tracker = ExperimentManager(base).get_experiment(experiment_id)
for i in range(n):
    tracker.log_metrics({"who": offset}, step=offset + i)
tracker.close()
"""


def test_processes_logging_to_different_experiments(store):
    n, names = 3000, ["p0", "p1", "p2"]
    children = [spawn(PROCESS, str(store), name, str(n)) for name in names]
    assert [c.wait(timeout=60) for c in children] == [0, 0, 0]
    manager = ExperimentManager(store)
    experiments = manager.list_experiments()
    assert sorted(e["experiment_name"] for e in experiments) == names
    assert len({e["experiment_id"] for e in experiments}) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not a single torn or corrupt line
        for e in experiments:
            tracker = manager.get_experiment(e["experiment_id"])
            assert tracker.get_metrics("value") == list(range(n))
            assert e["status"] == "completed" and e["metric_records"] == n


def test_processes_appending_to_one_experiment(make_tracker, store):
    tracker = make_tracker()
    tracker.close()
    n = 2000
    children = [spawn(APPENDER, str(store), tracker.experiment_id, str(k * n), str(n))
                for k in range(2)]
    assert [c.wait(timeout=60) for c in children] == [0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = ExperimentManager(store).get_experiment(tracker.experiment_id).metrics_history
    assert sorted(r["step"] for r in history) == list(range(2 * n))


def test_threads_logging_to_one_experiment(make_tracker):
    tracker = make_tracker()
    threads_n, per_thread = 8, 500
    barrier = threading.Barrier(threads_n)

    def work(k: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            tracker.log_metrics({"thread": k, "i": i})  # steps assigned under the lock

    threads = [threading.Thread(target=work, args=(k,)) for k in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tracker.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = tracker.metrics_history
    assert sorted(r["step"] for r in history) == list(range(threads_n * per_thread))
    for k in range(threads_n):  # each thread's records, in its own order
        assert [r["i"] for r in history if r["thread"] == k] == list(range(per_thread))


def test_threads_logging_artifact_versions(make_tracker, tmp_path):
    tracker = make_tracker()
    sources = []
    for k in range(6):
        src = tmp_path / f"ckpt{k}.pt"
        src.write_bytes(bytes([k]) * 1000)
        sources.append(src)
    threads = [threading.Thread(target=tracker.log_model, args=(src, "pytorch")) for src in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    versions = tracker.list_artifact_versions("model.pt")
    assert [v.version for v in versions] == [1, 2, 3, 4, 5, 6]
    assert sorted(Path(v.path).name for v in versions) == sorted(s.name for s in sources)
    assert all(tracker.verify_artifacts()["model.pt"].values())
