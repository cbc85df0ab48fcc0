import json
import os
from collections import Counter
from pathlib import Path

import pytest

from runner.tracking import (
    AmbiguousExperimentId,
    ExperimentManager,
    ExperimentTracker,
    UnsafeNameError,
)


@pytest.fixture
def three(make_tracker):
    a = make_tracker("resnet_small", tags={"team": "vision", "baseline": ""})
    a.log_hyperparameters({"lr": 0.1, "batch": 32, "opt": "adam"})
    for step, loss in enumerate([1.0, 0.6, 0.4]):
        a.log_metrics({"loss": loss, "accuracy": 1 - loss}, step=step)
    a.finish()
    b = make_tracker("resnet_big", tags={"team": "vision"})
    b.log_hyperparameters({"lr": 0.01, "batch": 32, "opt": "sgd"})
    for step, loss in enumerate([0.9, 0.3, 0.35]):
        b.log_metrics({"loss": loss, "accuracy": 1 - loss}, step=step)
    b.set_status("failed")
    b.finish()
    c = make_tracker("bert", tags={"team": "nlp"})
    c.log_metrics({"loss": 0.2}, step=0)  # still running: no final summary
    return a, b, c


def test_list_and_filters(three, store):
    a, b, c = three
    manager = ExperimentManager(store)
    ids = lambda **kw: [e["experiment_id"] for e in manager.list_experiments(**kw)]  # noqa: E731
    assert ids() == [a.experiment_id, b.experiment_id, c.experiment_id]  # oldest first
    assert ids(status="completed") == [a.experiment_id]
    assert ids(status=["failed", "running"]) == [b.experiment_id, c.experiment_id]
    assert ids(tag="team") == ids()
    assert ids(tag="team=vision") == [a.experiment_id, b.experiment_id]
    assert ids(tag="baseline") == [a.experiment_id]
    assert ids(name="RESNET") == [a.experiment_id, b.experiment_id]
    assert ids(name="*big") == [b.experiment_id]
    first = manager.list_experiments()[0]
    assert first["experiment_name"] == "resnet_small" and first["status"] == "completed"
    assert first["metrics"]["loss"]["min"] == 0.4 and first["metric_records"] == 3
    assert first["start_time"] and Path(first["experiment_dir"]).is_dir()


def test_get_by_id_prefix_and_folder_name(three, store):
    a = three[0]
    manager = ExperimentManager(store)
    assert manager.get_experiment(a.experiment_id).experiment_name == "resnet_small"
    assert manager.get_experiment(Path(a.experiment_dir).name).experiment_id == a.experiment_id
    assert manager.get_experiment("zzzz") is None


def test_ambiguous_prefix_is_an_error(make_tracker, store):
    trackers = [make_tracker(f"e{i}") for i in range(17)]  # 17 ids, 16 hex digits: a clash
    first_chars = Counter(t.experiment_id[0] for t in trackers)
    shared = next(ch for ch, n in first_chars.items() if n > 1)
    with pytest.raises(AmbiguousExperimentId, match=f"id prefix '{shared}' matches"):
        ExperimentManager(store).get_experiment(shared)


def test_best_metric_across_experiments(three, store):
    a, b, c = three
    manager = ExperimentManager(store)
    best_loss = manager.get_best_metric("loss", mode="min")
    assert best_loss == {"experiment_id": c.experiment_id, "experiment_name": "bert",
                         "value": 0.2, "step": 0}
    assert manager.get_best_metric("loss", "min", status="completed")["value"] == 0.4
    best_acc = manager.get_best_metric("accuracy", mode="max")
    assert best_acc["experiment_id"] == b.experiment_id and best_acc["step"] == 1
    assert manager.get_best_metric("nothing") is None


def test_delete_removes_only_that_folder(three, store):
    a, b, c = three
    manager = ExperimentManager(store)
    manager.set_current(a.experiment_id)
    assert manager.delete_experiment(a.experiment_id) is True
    assert not Path(a.experiment_dir).exists() and Path(b.experiment_dir).exists()
    assert manager.current_experiment_id() is None
    assert manager.delete_experiment(a.experiment_id) is False


@pytest.mark.parametrize("bad", ["..", ".", "../store", "../../etc", "/etc", "a/b", "x\\y",
                                 "", "ab/../..", "~root"])
def test_delete_refuses_ids_that_leave_the_base_folder(three, store, tmp_path, bad):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    before = sorted(store.rglob("*"))
    with pytest.raises(UnsafeNameError):
        ExperimentManager(store).delete_experiment(bad)
    assert (victim / "keep.txt").read_text() == "precious"
    assert sorted(store.rglob("*")) == before


def test_delete_never_follows_a_symlinked_experiment_folder(three, store, tmp_path):
    outside = tmp_path / "outside_experiment"
    outside.mkdir()
    (outside / "metadata.json").write_text(json.dumps({"experiment_id": "deadbeef"}))
    os.symlink(outside, store / "evil_deadbeef")
    manager = ExperimentManager(store)
    assert manager.delete_experiment("deadbeef") is False
    assert (outside / "metadata.json").exists() and (store / "evil_deadbeef").is_symlink()
    assert "deadbeef" not in [e["experiment_id"] for e in manager.list_experiments()]


def test_create_experiment_uses_the_base_dir(store):
    manager = ExperimentManager(store)
    tracker = manager.create_experiment("made", auto_visualize=False, capture_environment=False)
    assert isinstance(tracker, ExperimentTracker)
    assert Path(tracker.experiment_dir).parent == store.resolve()
    tracker.finish()


def test_compare_experiments_gives_figures(three, store, tmp_path):
    a, b, _ = three
    figures = ExperimentManager(store).compare_experiments([a.experiment_id, b.experiment_id])
    assert set(figures) == {"compare_loss", "compare_accuracy", "best_metrics"}
    loss_axes = figures["compare_loss"].axes[0]
    assert [line.get_label() for line in loss_axes.get_lines()] == [
        f"resnet_small ({a.experiment_id})", f"resnet_big ({b.experiment_id})"]
    assert list(loss_axes.get_lines()[1].get_ydata()) == [0.9, 0.3, 0.35]
    figures["best_metrics"].savefig(tmp_path / "best.png")  # the tracking guide saves them itself
    assert (tmp_path / "best.png").stat().st_size > 0
    only = ExperimentManager(store).compare_experiments([a.experiment_id], metrics=["loss"])
    assert set(only) == {"compare_loss", "best_metrics"}


def test_export_comparison_writes_plots_and_an_html_report(three, store, tmp_path, make_tracker):
    a, b, _ = three
    evil = make_tracker("<script>alert(1)</script>")
    evil.log_hyperparameters({"lr": "<b>0.5</b>"})
    evil.log_metrics({"loss": 0.7}, step=0)
    evil.finish()
    out = ExperimentManager(store).export_comparison(
        [a.experiment_id, b.experiment_id, evil.experiment_id], tmp_path / "report")
    out = Path(out)
    assert sorted(p.name for p in out.iterdir()) == [
        "best_metrics.png", "compare_accuracy.png", "compare_loss.png", "comparison.json",
        "index.html"]
    assert all((out / n).read_bytes()[:4] == b"\x89PNG" for n in ("compare_loss.png", "best_metrics.png"))
    html = (out / "index.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;0.5" in html
    # hyperparameter differences: lr and opt differ (highlighted), batch differs only by absence
    assert "<tr class='diff'><td>lr</td><td>0.1</td><td>0.01</td>" in html
    assert "<tr class='diff'><td>opt</td><td>adam</td><td>sgd</td><td>—</td></tr>" in html
    # best metrics: min loss, the winner in bold
    assert "<td class='best'>0.3 (step 1)</td>" in html
    data = json.loads((out / "comparison.json").read_text())
    assert set(data["differing_hyperparameters"]) == {"lr", "opt", "batch"}
    label_b = f"resnet_big ({b.experiment_id})"
    assert data["best_metrics"]["loss"]["values"][label_b] == {"value": 0.3, "step": 1}
    assert data["best_metrics"]["loss"]["mode"] == "min"


def test_export_default_folder_is_inside_the_store(three, store):
    out = Path(ExperimentManager(store).export_comparison([three[0].experiment_id]))
    assert out.parent == store / "comparisons" and (out / "index.html").is_file()
    # the comparisons folder is not mistaken for an experiment
    assert len(ExperimentManager(store).list_experiments()) == 3
