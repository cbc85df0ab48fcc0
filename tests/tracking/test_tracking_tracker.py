import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner.tracking import ExperimentManager, ExperimentTracker


def test_store_layout_and_metadata(make_tracker, store):
    tracker = make_tracker("resnet/50 lr=0.1", tags={"team": "vision"}, notes="first try")
    folder = Path(tracker.experiment_dir)
    assert folder.parent == store.resolve()
    assert folder.name == f"resnet_50_lr_0.1_{tracker.experiment_id}"  # name can't add folders
    assert len(tracker.experiment_id) == 8
    tracker.log_hyperparameters({"lr": 0.1})
    tracker.log_metrics({"loss": 1.0}, step=0)
    tracker.finish()
    for name in ("metadata.json", "hyperparameters.json", "metrics.jsonl", "summary.json"):
        assert (folder / name).is_file(), name
    assert (folder / "plots").is_dir()
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["experiment_name"] == "resnet/50 lr=0.1"
    assert meta["status"] == "completed" and meta["end_time"] and meta["duration_s"] >= 0
    assert meta["tags"] == {"team": "vision"} and meta["notes"] == "first try"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["metric_records"] == 1 and summary["metrics"]["loss"]["last"] == 1.0


def test_context_manager_marks_completed(store):
    with ExperimentTracker("ok", base_dir=store, auto_visualize=False,
                           capture_environment=False) as tracker:
        tracker.log_metrics({"loss": 0.3})
    assert tracker.status == "completed"
    with pytest.raises(RuntimeError, match="was finished or closed"):
        tracker.log_metrics({"loss": 0.2})


def test_context_manager_marks_failed_and_keeps_the_metrics(store):
    with pytest.raises(ZeroDivisionError):
        with ExperimentTracker("bad", base_dir=store, auto_visualize=False,
                               capture_environment=False) as tracker:
            tracker.log_metrics({"loss": 0.3})
            raise ZeroDivisionError("division by zero")
    meta = json.loads((Path(tracker.experiment_dir) / "metadata.json").read_text())
    assert meta["status"] == "failed" and "ZeroDivisionError" in meta["error"]
    assert ExperimentManager(store).get_experiment(tracker.experiment_id).get_metrics("loss") == [0.3]


def test_keyboard_interrupt_is_interrupted(store):
    with pytest.raises(KeyboardInterrupt):
        with ExperimentTracker("ctrl-c", base_dir=store, auto_visualize=False,
                               capture_environment=False) as tracker:
            raise KeyboardInterrupt
    assert tracker.status == "interrupted"


def test_finish_keeps_a_failed_status(make_tracker):
    tracker = make_tracker()
    tracker.set_status("failed")  # the tracking guide's try / except / finally pattern
    tracker.finish()
    assert tracker.status == "failed"
    with pytest.raises(ValueError, match="status must be one of"):
        make_tracker().set_status("done")


def test_steps_metrics_and_best_values(make_tracker):
    tracker = make_tracker()
    assert tracker.log_metrics({"loss": 0.9, "acc": 0.1}) == 0
    assert tracker.log_metrics({"loss": 0.5, "acc": 0.4}) == 1
    assert tracker.log_metrics({"loss": float("nan"), "acc": 0.3}, step=10) == 10
    assert tracker.log_metrics({"acc": 0.2}) == 11
    assert tracker.get_metrics("acc") == [0.1, 0.4, 0.3, 0.2]
    assert len(tracker.get_metrics()) == 4
    assert tracker.get_best_metric("loss", mode="min") == (0.5, 1)  # NaN never wins
    assert tracker.get_best_metric("acc", mode="max") == (0.4, 1)
    assert tracker.get_best_metric("missing") == (None, None)
    with pytest.raises(ValueError, match="mode"):
        tracker.get_best_metric("acc", mode="best")
    with pytest.raises(TypeError, match="step must be an integer"):
        tracker.log_metrics({"a": 1}, step=1.5)


def test_tags_and_notes(make_tracker):
    tracker = make_tracker(tags=["baseline", "lr=0.1"])
    tracker.add_tags({"owner": "ana"})
    tracker.set_notes("swapped the scheduler")
    assert tracker.tags == {"baseline": "", "lr": "0.1", "owner": "ana"}
    assert tracker.metadata["notes"] == "swapped the scheduler"


def test_reopened_experiment_continues_its_steps(make_tracker, store):
    tracker = make_tracker()
    tracker.log_metrics({"loss": 1.0})
    tracker.log_metrics({"loss": 0.8})
    tracker.close()
    assert tracker.status == "running"  # close() is not finish()
    again = ExperimentManager(store).get_experiment(tracker.experiment_id)
    assert again.log_metrics({"loss": 0.5}) == 2
    again.finish()
    assert [r["step"] for r in again.metrics_history] == [0, 1, 2]
    assert again.status == "completed"


def test_history_sees_lines_appended_by_another_writer(make_tracker, store):
    writer = make_tracker()
    reader = ExperimentManager(store).get_experiment(writer.experiment_id)
    assert reader.metrics_history == []
    writer.log_metrics({"loss": 1.0})
    assert reader.get_metrics("loss") == [1.0]
    writer.log_metrics({"loss": 0.5})
    assert reader.get_metrics("loss") == [1.0, 0.5]


def test_environment_is_captured_outside_git(make_tracker):
    tracker = make_tracker(capture_environment=True)
    env = tracker.metadata["environment"]
    assert env["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert env["platform"]["system"] and env["cpu"]["count"] >= 1
    assert "numpy" in env["packages"] and isinstance(env["gpus"], list)
    assert env["command"]["argv"] == sys.argv and env["git"] is None
    requirements = tracker.get_artifact_version("requirements.txt")
    assert "numpy==" in Path(requirements.path).read_text()
    assert tracker.list_artifact_versions("git_diff.patch") == []


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_environment_records_git_commit_branch_and_dirty_diff(make_tracker, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    (repo / "train.py").write_text("lr = 0.1\n")
    subprocess.run([*git, "add", "train.py"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], cwd=repo, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                            capture_output=True, text=True).stdout.strip()
    (repo / "train.py").write_text("lr = 0.2\n")
    monkeypatch.chdir(repo)
    tracker = make_tracker(capture_environment=True)
    git_info = tracker.metadata["environment"]["git"]
    assert git_info["commit"] == commit and git_info["branch"] == "main"
    assert git_info["dirty"] is True and git_info["changed_files"] == 1
    diff = Path(tracker.get_artifact_version("git_diff.patch").path).read_text()
    assert "-lr = 0.1" in diff and "+lr = 0.2" in diff
