"""One liveness rule: a `running` experiment whose process died shows as `running?` in
`neural track list` and `show` as in the TUI."""

import json
import os
import subprocess
import time

from runner.cli import main
from runner.tracking import liveness
from runner.tracking.store import update_json
from runner.tui.experiment import ExperimentState
from runner.tui.model import seems_dead


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_run_whose_process_died_is_running_question_mark_everywhere(make_tracker, store,
                                                                      capsys):
    alive = make_tracker("alive", capture_environment=True)
    dead = make_tracker("dead", capture_environment=True)
    for tracker in (alive, dead):
        tracker.log_metrics({"loss": 1.0})
        tracker.close()
    old = time.time() - liveness.STALE_AFTER_S - 60
    os.utime(os.path.join(alive.experiment_dir, "metrics.jsonl"), (old, old))
    os.utime(os.path.join(dead.experiment_dir, "metrics.jsonl"), (old, old))

    def kill(meta):
        meta["environment"]["command"]["pid"] = dead_pid()
        meta["start_timestamp"] = old
        return meta

    update_json(os.path.join(dead.experiment_dir, "metadata.json"), kill)
    assert main(["track", "list", "--base-dir", str(store), "--json"]) == 0
    listed = {e["experiment_name"]: e["status"] for e in json.loads(capsys.readouterr().out)}
    assert listed == {"alive": "running", "dead": "running?"}
    assert main(["track", "list", "--base-dir", str(store)]) == 0
    out, err = capsys.readouterr()
    assert "running?" in out and "probably killed" in err
    assert main(["track", "list", "--base-dir", str(store), "--status", "running", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["track", "show", "--base-dir", str(store), dead.experiment_id]) == 0
    assert "status       running?" in capsys.readouterr().out

    from runner.tracking.store import read_json

    state = ExperimentState(key="k", path=store, experiment_id="x", name="dead")
    state.apply_metadata(read_json(os.path.join(dead.experiment_dir, "metadata.json")))
    state.last_update = old
    assert seems_dead(state, time.time())  # the TUI's rule is the same function
