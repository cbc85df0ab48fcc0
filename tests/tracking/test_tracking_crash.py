"""A process killed with SIGKILL loses no metric whose log_metrics call returned."""

import os
import signal
import sys
import warnings
from pathlib import Path

import pytest
from tracking_helpers import spawn

from runner.tracking import ExperimentManager, StoreWarning

CHILD = r"""
import sys
from runner.tracking import ExperimentTracker
tracker = ExperimentTracker("crash", base_dir=sys.argv[1], auto_visualize=False,
                            capture_environment=False)
tracker.log_hyperparameters({"lr": 0.1})
print(tracker.experiment_id, flush=True)
i = 0
while True:
    tracker.log_metrics({"loss": 1.0 / (i + 1), "i": i}, step=i)
    print(i, flush=True)  # only after the call has returned
    i += 1
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("kill_after", [1, 3000])
def test_sigkill_loses_no_returned_log_metrics_call(store, kill_after):
    import subprocess

    child = spawn(CHILD, str(store), stdout=subprocess.PIPE, text=True)
    try:
        experiment_id = child.stdout.readline().strip()
        assert experiment_id, "child did not start"
        confirmed = -1
        while confirmed < kill_after - 1:
            confirmed = int(child.stdout.readline())
        os.kill(child.pid, signal.SIGKILL)  # mid-logging: the child never stops by itself
        child.wait(timeout=30)
        for line in child.stdout:  # calls that returned between our read and the kill
            if line.strip().isdigit():
                confirmed = int(line)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    manager = ExperimentManager(store)
    tracker = manager.get_experiment(experiment_id)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always", StoreWarning)
        steps = [r["step"] for r in tracker.metrics_history]
    assert steps[: confirmed + 1] == list(range(confirmed + 1))
    assert steps == list(range(len(steps)))  # nothing lost, nothing duplicated
    assert tracker.get_metrics("i")[confirmed] == confirmed
    info = manager.list_experiments()[0]
    assert info["status"] == "running" and tracker.hyperparameters == {"lr": 0.1}
    # the killed experiment can be re-opened and continued
    assert tracker.log_metrics({"loss": 0.0}) == len(steps)
    tracker.finish()
    assert manager.list_experiments()[0]["metric_records"] == len(steps) + 1


def test_torn_last_line_from_a_killed_writer(make_tracker, store):
    tracker = make_tracker()
    for step in range(5):
        tracker.log_metrics({"loss": float(step)}, step=step)
    tracker.close()
    log = Path(tracker.experiment_dir) / "metrics.jsonl"
    with open(log, "ab") as f:  # what a write cut short by the kill leaves behind
        f.write(b'{"step":5,"timestamp":1.0,"lo')
    reopened = ExperimentManager(store).get_experiment(tracker.experiment_id)
    with pytest.warns(StoreWarning, match="torn last line"):
        assert [r["step"] for r in reopened.metrics_history] == [0, 1, 2, 3, 4]
    # logging again starts on a fresh line; the fragment stays skipped
    reopened.log_metrics({"loss": 9.0}, step=5)
    with pytest.warns(StoreWarning, match="corrupt line"):
        reopened.close()  # the summary re-reads the log
    with pytest.warns(StoreWarning, match="corrupt line"):
        again = ExperimentManager(store).get_experiment(tracker.experiment_id)
        assert [r["step"] for r in again.metrics_history] == [0, 1, 2, 3, 4, 5]
    with pytest.warns(StoreWarning):
        assert ExperimentManager(store).get_best_metric("loss", "max")["value"] == 9.0


MIRRORED_CHILD = r"""
import sys
from runner.tracking import ExperimentTracker
tracker = ExperimentTracker("crash", base_dir=sys.argv[1], auto_visualize=False,
                            capture_environment=False, backend="tensorboard")
print(tracker.experiment_id, tracker._mirrors._proc.pid, flush=True)
i = 0
while True:
    tracker.log_metrics({"loss": 1.0 / (i + 1)}, step=i)
    print(i, flush=True)
    i += 1
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_mirror_catches_up_with_the_store_after_sigkill(store):
    """The mirror process tails metrics.jsonl, so it forwards even what the killed process
    logged after its last chance to send anything."""
    pytest.importorskip("tensorboard")
    import subprocess
    import time

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    child = spawn(MIRRORED_CHILD, str(store), stdout=subprocess.PIPE, text=True)
    try:
        experiment_id, mirror_pid = child.stdout.readline().split()
        while int(child.stdout.readline()) < 2000:
            pass
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the orphaned mirror drains the log, then exits
        try:
            os.kill(int(mirror_pid), 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    tracker = ExperimentManager(store).get_experiment(experiment_id)
    steps = [r["step"] for r in tracker.metrics_history]
    assert len(steps) > 2000
    folder = Path(tracker.experiment_dir)
    acc = EventAccumulator(str(folder / "tensorboard"), size_guidance={"scalars": 0})
    acc.Reload()
    assert [e.step for e in acc.Scalars("loss")] == steps
    assert tracker.metadata["mirror_offset"] == (folder / "metrics.jsonl").stat().st_size
