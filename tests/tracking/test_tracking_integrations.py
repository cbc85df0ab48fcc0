"""Mirrors write real stores, read back with each tool's own reader."""

import json
import math
import sys
import warnings
from pathlib import Path

import pytest
from tracking_helpers import wandb_records

from runner.tracking import (
    ExperimentManager,
    ExperimentTracker,
    IntegrationUnavailable,
    MirrorWarning,
    create_integration,
)


def run_experiment(store, backend, tmp_path, fail=False, **options):
    """A short run: hyperparameters, 5 metric steps (one NaN), a model, a figure."""
    tracker = ExperimentTracker("mirrored", base_dir=store, auto_visualize=False,
                                capture_environment=False, backend=backend,
                                backend_options=options)
    tracker.log_hyperparameters({"lr": 0.01, "optimizer": {"name": "adam", "beta1": 0.9}})
    for step in range(5):
        tracker.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 10}, step=step)
    tracker.log_metrics({"loss": float("nan")}, step=5)
    model = tmp_path / "model_1.pt"
    model.write_bytes(b"weights")
    tracker.log_model(model, framework="pytorch")
    tracker.finish("failed" if fail else None)
    return tracker


# ---------------------------------------------------------------------------- MLflow


def mlflow_run(tracker):
    from mlflow.tracking import MlflowClient

    (mirror,) = tracker.metadata["mirrors"]
    client = MlflowClient(tracking_uri=mirror["state"]["tracking_uri"])
    return client, client.get_run(mirror["state"]["run_id"])


def test_mlflow_mirror_in_the_default_sqlite_store(store, tmp_path, isolated, mlflow_db):
    pytest.importorskip("mlflow")
    mlflow_db(store / "mlflow.db")  # an existing, empty store: where the default URI points
    tracker = run_experiment(store, "mlflow", tmp_path)
    client, run = mlflow_run(tracker)
    assert (store / "mlflow.db").is_file() and (store / "mlflow-artifacts").is_dir()
    assert run.info.status == "FINISHED" and run.info.run_name == Path(tracker.experiment_dir).name
    assert run.data.params == {"lr": "0.01", "optimizer.name": "adam", "optimizer.beta1": "0.9"}
    assert run.data.tags["neural.experiment_id"] == tracker.experiment_id
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4, 5]
    assert [m.value for m in history][:5] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert math.isnan(history[5].value)
    assert client.get_experiment(run.info.experiment_id).name == "mirrored"
    (model_file,) = client.list_artifacts(run.info.run_id, "model.pt/v1")
    assert model_file.path == "model.pt/v1/model_1.pt" and model_file.file_size == 7
    assert not list(isolated.iterdir()), "MLflow wrote into the working directory"


@pytest.mark.parametrize("form", ["sqlite", "directory", "file"])
def test_mlflow_tracking_uri_forms(tmp_path, monkeypatch, isolated, form, mlflow_db):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    if form == "file":
        monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3.17's file store opt-in
    elif form == "sqlite":
        mlflow_db(tmp_path / "a" / "x.db")
    else:
        mlflow_db(tmp_path / "dir" / "mlflow.db")
    uri = {"sqlite": f"sqlite:///{tmp_path / 'a' / 'x.db'}", "directory": str(tmp_path / "dir"),
           "file": (tmp_path / "mlruns").as_uri()}[form]
    mirror = create_integration("mlflow", "forms", tracking_uri=uri)
    mirror.log_metrics({"acc": 0.5}, step=3)
    mirror.log_artifact(__file__, "code.py", {"version": 2})
    mirror.finish("interrupted")
    client = MlflowClient(tracking_uri=mirror.tracking_uri)
    run = client.get_run(mirror.run_id)
    assert run.info.status == "KILLED" and run.data.metrics == {"acc": 0.5}
    assert [a.path for a in client.list_artifacts(mirror.run_id, "code.py/v2")] == [
        f"code.py/v2/{Path(__file__).name}"]
    expected = {"sqlite": tmp_path / "a" / "x.db", "directory": tmp_path / "dir" / "mlflow.db",
                "file": tmp_path / "mlruns"}[form]
    assert expected.exists() and not list(isolated.iterdir())


# ------------------------------------------------------------------------ TensorBoard


def test_tensorboard_mirror_writes_event_files(store, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log_dir = tmp_path / "tb"
    tracker = ExperimentTracker("tb", base_dir=store, auto_visualize=True,
                                capture_environment=False, backend="tensorboard",
                                backend_options={"log_dir": log_dir})
    tracker.log_hyperparameters({"lr": 0.01, "layers": [64, 32]})
    for step in range(12):
        tracker.log_metrics({"loss": 1.0 / (step + 1)}, step=step)
    tracker.finish()
    (event_file,) = log_dir.glob("events.out.tfevents.*")
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    loss = acc.Scalars("loss")
    assert [e.step for e in loss] == list(range(12))
    assert [e.value for e in loss] == pytest.approx([1.0 / (s + 1) for s in range(12)])
    tags = acc.Tags()
    assert "hyperparameters" in tags["tensors"] and "_hparams_/session_start_info" in tags["tensors"]
    table = acc.Tensors("hyperparameters")[0].tensor_proto.string_val[0].decode()
    assert "| lr | 0.01 |" in table and "| layers | [64, 32] |" in table
    assert "plots/metric_loss.png" in tags["images"]  # the final plots, as images


def test_tensorboard_default_log_dir_is_in_the_experiment(make_tracker):
    pytest.importorskip("tensorboard")
    tracker = make_tracker(backend="tensorboard")
    tracker.log_metrics({"loss": 1.0}, step=0)
    tracker.finish()
    assert list((Path(tracker.experiment_dir) / "tensorboard").glob("events.out.tfevents.*"))


# ------------------------------------------------------------------------------- W&B


def test_wandb_offline_mirror_writes_run_files(store, tmp_path):
    pytest.importorskip("wandb")
    tracker = run_experiment(store, "wandb", tmp_path, project_name="neural-tests")
    (mirror,) = tracker.metadata["mirrors"]
    run_id = mirror["state"]["run_id"]
    (run_dir,) = (store / "wandb").glob(f"offline-run-*-{run_id}")
    records = wandb_records(run_dir / f"run-{run_id}.wandb")
    kinds = [r.WhichOneof("record_type") for r in records]
    run = next(r.run for r in records if r.WhichOneof("record_type") == "run")
    assert run.project == "neural-tests" and run.display_name == "mirrored"
    history = [{i.key or "/".join(i.nested_key): json.loads(i.value_json) for i in r.history.item}
               for r in records if r.WhichOneof("record_type") == "history"]
    losses = [(h["step"], h["loss"]) for h in history if "loss" in h]
    assert losses[:5] == [(0, 1.0), (1, 0.5), (2, 1 / 3), (3, 0.25), (4, 0.2)]
    assert losses[5][0] == 5 and math.isnan(losses[5][1])
    config = {i.key: json.loads(i.value_json) for r in records
              if r.WhichOneof("record_type") == "config" for i in r.config.update}
    assert config["lr"] == 0.01 and config["optimizer"] == {"name": "adam", "beta1": 0.9}
    artifacts = [r.artifact for r in records if r.WhichOneof("record_type") == "artifact"]
    assert [a.name for a in artifacts] == ["model.pt"] and artifacts[0].type == "model"
    assert artifacts[0].manifest.contents[0].path == "model_1.pt"
    exit_record = next(r.exit for r in records if r.WhichOneof("record_type") == "exit")
    assert exit_record.exit_code == 0 and kinds.count("history") >= 6


# ------------------------------------------------------------------ create_integration


def test_create_integration_used_directly(tmp_path, mlflow_db):
    """The tracking guide's multi-backend pattern: backends driven by hand next to a tracker."""
    for library in ("mlflow", "tensorboard", "wandb"):
        pytest.importorskip(library)
    from mlflow.tracking import MlflowClient

    db = f"sqlite:///{mlflow_db(tmp_path / 'direct.db')}"
    ml = create_integration("mlflow", "direct", tracking_uri=db)
    tb = create_integration("tensorboard", "direct", log_dir=tmp_path / "tb")
    wb = create_integration("wandb", "direct", dir=tmp_path / "wb")
    for backend in (ml, tb, wb):
        backend.log_hyperparameters({"lr": 0.01})
        backend.log_metrics({"loss": 0.5}, step=1)
        backend.finish()
    run = MlflowClient(tracking_uri=db).get_run(ml.run_id)
    assert run.data.metrics == {"loss": 0.5} and run.data.params == {"lr": "0.01"}
    again = create_integration("mlflow", "direct", tracking_uri=db, run_id=ml.run_id)  # resume
    again.log_hyperparameters({"lr": 0.02, "seed": 1})  # a changed param becomes a tag
    again.log_metrics({"loss": 0.25}, step=2)
    again.finish()
    run = MlflowClient(tracking_uri=db).get_run(ml.run_id)
    assert run.data.metrics == {"loss": 0.25} and run.data.params == {"lr": "0.01", "seed": "1"}
    assert run.data.tags["neural.param_update.lr"] == "0.02"
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))
    (run_file,) = (tmp_path / "wb" / "wandb").glob("offline-run-*/run-*.wandb")
    history = [r.history for r in wandb_records(run_file) if r.WhichOneof("record_type") == "history"]
    assert [{i.nested_key[0]: i.value_json for i in h.item if i.nested_key[0] in ("loss", "step")}
            for h in history] == [{"loss": "0.5", "step": "1"}]
    with pytest.raises(ValueError, match="unknown tracking backend 'comet'"):
        create_integration("comet", "x")
    with pytest.raises(TypeError, match="does not take option"):
        create_integration("tensorboard", "x", tracking_uri="sqlite:///x.db")


# ------------------------------------------------------------------- failing mirrors


def test_missing_library_warns_and_keeps_the_local_record(make_tracker, monkeypatch, tmp_path):
    hidden = tmp_path / "no_mlflow"
    (hidden / "mlflow").mkdir(parents=True)  # shadows the real package in the mirror process
    (hidden / "mlflow" / "__init__.py").write_text("raise ImportError('No module named mlflow')\n")
    monkeypatch.setenv("PYTHONPATH", str(hidden))
    monkeypatch.setitem(sys.modules, "mlflow", None)  # and in this process
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    with pytest.raises(IntegrationUnavailable, match="pip install"):
        create_integration("mlflow", "x")
    with pytest.warns(MirrorWarning, match="mlflow mirror is not available.*local"):
        tracker = make_tracker(backend="mlflow")
    tracker.log_metrics({"loss": 1.0}, step=0)
    tracker.finish()
    assert tracker.get_metrics("loss") == [1.0] and tracker.status == "completed"
    (mirror,) = tracker.metadata["mirrors"]
    assert "MLflow is not installed" in mirror["error"]


def test_mirror_failing_mid_run_is_switched_off_with_a_warning(make_tracker, store, mlflow_db):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    mlflow_db(store / "mlflow.db")
    tracker = make_tracker(backend="mlflow")
    tracker.log_metrics({"loss": 0.0}, step=0)
    tracker._mirrors.flush()
    state = tracker.metadata["mirrors"][0]["state"]
    MlflowClient(tracking_uri=state["tracking_uri"]).delete_run(state["run_id"])  # gone mid-run
    with pytest.warns(MirrorWarning, match="mlflow mirror failed.*must be in the 'active' state"):
        for step in range(1, 100):
            tracker.log_metrics({"loss": float(step)}, step=step)
        tracker.finish()
    assert tracker.get_metrics("loss") == [float(s) for s in range(100)]
    assert "active" in tracker.metadata["mirrors"][0]["error"]
    assert tracker.status == "completed"


def test_unknown_backend_is_refused_before_anything_is_written(store):
    with pytest.raises(ValueError, match="unknown tracking backend 'neptune'"):
        ExperimentTracker("x", base_dir=store, backend="neptune")
    assert not store.exists() or not list(store.iterdir())


def test_reopened_experiment_resumes_its_mirror_where_it_stopped(store):
    """Like `neural track init` / `log` in separate processes: each process's mirror starts
    at the byte offset the previous one reached, so nothing is sent twice."""
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    first = ExperimentTracker("resume", base_dir=store, auto_visualize=False,
                              capture_environment=False, backend="tensorboard")
    first.log_metrics({"loss": 1.0}, step=0)
    first.log_metrics({"loss": 0.8}, step=1)
    first.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error", MirrorWarning)
        again = ExperimentManager(store).get_experiment(first.experiment_id)
        again.log_metrics({"loss": 0.5}, step=2)
        again.finish()
    log_dir = Path(first.experiment_dir) / "tensorboard"
    assert len(list(log_dir.glob("events.out.tfevents.*"))) == 2  # one file per process
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})
    acc.Reload()
    scalars = acc.Scalars("loss")
    assert [e.step for e in scalars] == [0, 1, 2]
    assert [e.value for e in scalars] == pytest.approx([1.0, 0.8, 0.5])  # float32 in TensorBoard
