"""One damaged experiment hides nothing else: `neural track list/show/compare` and the
manager list every healthy experiment and name each damaged one's file and problem."""

import json
import warnings

import pytest

from runner.cli import main
from runner.tracking import ExperimentManager, ExperimentTracker, StoreWarning
from tests.damaged_store import DAMAGE, build_damaged_store


@pytest.fixture
def damaged(store):
    return build_damaged_store(store)


@pytest.fixture
def neural(store, capsys):
    def run(action, *args):
        status = main(["track", action, "--base-dir", str(store), *args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def test_list_shows_healthy_and_names_each_damaged_file(neural, damaged):
    status, out, err = neural("list")
    assert status == 0, err
    assert "healthy" in out and "completed" in out
    for name, (file, reason) in DAMAGE.items():
        folder = damaged[name]
        line = next(ln for ln in err.splitlines() if folder.name.rsplit("_", 1)[-1] in ln)
        assert "corrupt" in line and file in line and reason in line, line
    status, out, err = neural("list", "--json")
    listed = {e["experiment_dir"]: e for e in json.loads(out)}
    assert listed[str(damaged["healthy"])]["status"] == "completed"
    assert listed[str(damaged["huge_step"])]["status"] == "completed"
    for name in DAMAGE:
        assert listed[str(damaged[name])]["status"] == "corrupt"
    status, out, _ = neural("list", "--json", "--status", "corrupt")
    assert len(json.loads(out)) == len(DAMAGE)


def test_show_and_compare_work_around_damage(neural, damaged):
    healthy, huge = (damaged[k].name.rsplit("_", 1)[-1] for k in ("healthy", "huge_step"))
    status, out, err = neural("show", huge)
    assert status == 0 and "huge_step" in out and "skipped corrupt line" in err
    status, out, err = neural("compare", healthy, huge, "--output", str(damaged["healthy"].parent
                                                                       / "cmp"))
    assert status == 0, err
    for name in ("log_is_dir", "garbage_summary", "string_start"):
        status, out, err = neural("show", damaged[name].name)
        assert status == 2 and "corrupt" in err and DAMAGE[name][0] in err, err
        assert "Traceback" not in err
    status, out, err = neural("compare", healthy, damaged["log_is_dir"].name)
    assert status == 2 and "metrics.jsonl: is a directory" in err


def test_manager_lists_damaged_experiments_with_their_problem(store, damaged):
    from runner.tracking.reading import CorruptExperiment

    manager = ExperimentManager(store)
    infos = {i["experiment_dir"]: i for i in manager.list_experiments()}
    assert len(infos) == len(damaged)
    problem = infos[str(damaged["list_meta"])]["problem"]
    assert problem.startswith("metadata.json: holds a list")
    assert manager.get_best_metric("loss", "min")["experiment_name"] in ("healthy", "huge_step")
    with pytest.raises(CorruptExperiment, match="metadata.json: is not UTF-8"):
        ExperimentTracker.open(damaged["latin1_meta"])


def test_a_step_no_integer_can_hold_is_a_skipped_line(make_tracker):
    tracker = make_tracker()
    tracker.log_metrics({"loss": 1.0})
    with open(tracker.experiment_dir + "/metrics.jsonl", "ab") as f:
        f.write(b'{"step": 1e400, "loss": 2.0}\n{"step": "3", "loss": 2.0}\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [r["step"] for r in tracker.metrics_history] == [0]
    assert sum(issubclass(w.category, StoreWarning) for w in caught) == 2
    assert tracker.log_metrics({"loss": 0.5}) == 1
    assert tracker.summary()["metrics"]["loss"]["min_step"] == 1
