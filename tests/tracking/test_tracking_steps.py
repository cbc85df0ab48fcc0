"""Automatic steps: found from the end of the log (not by reading the history), and unique
across every process logging to one experiment."""

import subprocess
import sys

from tracking_helpers import child_env

from runner.tracking import ExperimentTracker
from runner.tracking.manager import load_history
from runner.tracking.store import last_value


def test_the_next_step_of_a_reopened_log_is_found_from_its_end(make_tracker):
    tracker = make_tracker()
    for step in range(2000):
        tracker.log_metrics({"loss": 1.0, "acc": 0.5}, step=step)
    tracker.close()
    with open(tracker.experiment_dir + "/metrics.jsonl", "ab") as f:
        f.write(b'{"step": 77, "lo')  # a writer killed mid-line
    again = ExperimentTracker.open(tracker.experiment_dir)
    assert again.log_metrics({"loss": 0.5}) == 2000
    assert again._reader.offset == 0  # the history was not read to find it
    again.close()


def test_last_value_reads_back_across_chunks(tmp_path):
    log = tmp_path / "m.jsonl"
    big = "x" * 70_000  # one record longer than a read chunk
    log.write_text(f'{{"step": 4, "note": 1}}\n{{"step": 5, "pad": "{big}"}}\n'
                   '{"note": 2}\nnot json\n{"step": 6, "lo')
    assert last_value(log, "step") == 5
    assert last_value(tmp_path / "none.jsonl", "step") == -1
    log.write_text("\n\n")
    assert last_value(log, "step") == -1


WRITER = """
import sys
from runner.tracking import ExperimentTracker
tracker = ExperimentTracker.open(sys.argv[1])
for i in range(int(sys.argv[2])):
    tracker.log_metrics({"writer": int(sys.argv[3]), "i": i})
tracker.close()
"""


def test_processes_logging_to_one_experiment_get_unique_steps(make_tracker):
    tracker = make_tracker()
    tracker.log_metrics({"i": -1})
    tracker.close()
    n, writers = 300, 3
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, tracker.experiment_dir, str(n),
                               str(w)], env=child_env()) for w in range(writers)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    steps = [r["step"] for r in load_history(type(tracker.base_dir)(tracker.experiment_dir))]
    assert sorted(steps) == list(range(n * writers + 1))
