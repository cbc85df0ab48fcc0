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
from runner.tracking.integrations import TensorBoardIntegration


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


def test_mlflow_mirror_in_a_sqlite_store(store, tmp_path, isolated):
    uri = f"sqlite:///{tmp_path / 'ml' / 'mlflow.db'}"
    tracker = run_experiment(store, "mlflow", tmp_path, tracking_uri=uri)
    client, run = mlflow_run(tracker)
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


def test_mlflow_default_store_is_inside_the_experiment_store(store, tmp_path, isolated):
    tracker = run_experiment(store, "mlflow", tmp_path, fail=True)
    client, run = mlflow_run(tracker)
    assert run.info.status == "FAILED"
    assert (store / "mlflow.db").is_file() and (store / "mlflow-artifacts").is_dir()
    assert not list(isolated.iterdir())


def test_mlflow_local_directory_and_file_store(store, tmp_path, monkeypatch):
    tracker = run_experiment(store, "mlflow", tmp_path, tracking_uri=str(tmp_path / "mlruns_dir"))
    assert (tmp_path / "mlruns_dir" / "mlflow.db").is_file()
    assert mlflow_run(tracker)[1].data.metrics["acc"] == 0.4
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3.17's file store opt-in
    file_uri = (tmp_path / "mlruns").as_uri()
    tracker = run_experiment(store, "mlflow", tmp_path, tracking_uri=file_uri)
    client, run = mlflow_run(tracker)
    assert run.info.status == "FINISHED" and (tmp_path / "mlruns").is_dir()
    assert [m.step for m in client.get_metric_history(run.info.run_id, "acc")] == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------------ TensorBoard


def test_tensorboard_mirror_writes_event_files(store, tmp_path):
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
    tracker = make_tracker(backend="tensorboard")
    tracker.log_metrics({"loss": 1.0}, step=0)
    tracker.finish()
    assert list((Path(tracker.experiment_dir) / "tensorboard").glob("events.out.tfevents.*"))


# ------------------------------------------------------------------------------- W&B


def test_wandb_offline_mirror_writes_run_files(store, tmp_path):
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


def test_create_integration_used_directly(tmp_path):
    """The seed's multi-backend pattern: backends driven by hand next to a tracker."""
    from mlflow.tracking import MlflowClient

    db = f"sqlite:///{tmp_path / 'direct.db'}"
    ml = create_integration("mlflow", "direct", tracking_uri=db)
    tb = create_integration("tensorboard", "direct", log_dir=tmp_path / "tb")
    for backend in (ml, tb):
        backend.log_hyperparameters({"lr": 0.01})
        backend.log_metrics({"loss": 0.5}, step=1)
        backend.finish()
    run = MlflowClient(tracking_uri=db).get_run(ml.run_id)
    assert run.data.metrics == {"loss": 0.5} and run.data.params == {"lr": "0.01"}
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))
    with pytest.raises(ValueError, match="unknown tracking backend 'comet'"):
        create_integration("comet", "x")
    with pytest.raises(TypeError, match="does not take option"):
        create_integration("tensorboard", "x", tracking_uri="sqlite:///x.db")


# ------------------------------------------------------------------- failing mirrors


def test_missing_library_warns_and_keeps_the_local_record(make_tracker, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    with pytest.raises(IntegrationUnavailable, match="pip install"):
        create_integration("mlflow", "x")
    with pytest.warns(MirrorWarning, match="mlflow mirror is not available"):
        tracker = make_tracker(backend="mlflow")
    tracker.log_metrics({"loss": 1.0}, step=0)
    tracker.finish()
    assert tracker.get_metrics("loss") == [1.0] and tracker.status == "completed"
    (mirror,) = tracker.metadata["mirrors"]
    assert "MLflow is not installed" in mirror["error"]


def test_mirror_failing_mid_run_is_switched_off_with_a_warning(make_tracker, monkeypatch, tmp_path):
    def broken(self, records):
        raise OSError("disk full")

    monkeypatch.setattr(TensorBoardIntegration, "log_metrics_batch", broken)
    tracker = make_tracker(backend="tensorboard")
    with pytest.warns(MirrorWarning, match="tensorboard mirror failed.*disk full"):
        for step in range(100):
            tracker.log_metrics({"loss": float(step)}, step=step)
        tracker.finish()
    assert tracker.get_metrics("loss") == [float(s) for s in range(100)]
    assert "disk full" in tracker.metadata["mirrors"][0]["error"]
    assert tracker.status == "completed"


def test_unknown_backend_is_refused_before_anything_is_written(store):
    with pytest.raises(ValueError, match="unknown tracking backend 'neptune'"):
        ExperimentTracker("x", base_dir=store, backend="neptune")
    assert not store.exists() or not list(store.iterdir())


def test_reopened_experiment_resumes_its_mlflow_run(store, tmp_path):
    uri = f"sqlite:///{tmp_path / 'resume.db'}"
    first = ExperimentTracker("resume", base_dir=store, auto_visualize=False,
                              capture_environment=False, backend="mlflow",
                              backend_options={"tracking_uri": uri})
    first.log_metrics({"loss": 1.0}, step=0)
    first.close()  # like `neural track init` / `log` in separate processes
    with warnings.catch_warnings():
        warnings.simplefilter("error", MirrorWarning)
        again = ExperimentManager(store).get_experiment(first.experiment_id)
        again.log_metrics({"loss": 0.5}, step=1)
        again.finish()
    client, run = mlflow_run(again)
    assert run.info.status == "FINISHED"
    assert [m.value for m in client.get_metric_history(run.info.run_id, "loss")] == [1.0, 0.5]
