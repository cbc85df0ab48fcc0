"""`neural track ...` end to end, in-process through runner.cli.main."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tracking_helpers import child_env

from runner.cli import main
from runner.tracking import ExperimentManager


@pytest.fixture
def neural(store, capsys):
    """neural("log", "--metrics", ...) -> (exit status, stdout, stderr), store preset."""

    def run(action, *args):
        status = main(["track", action, "--base-dir", str(store), *args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def current_id(store):
    return json.loads((store / "current").read_text())["experiment_id"]


def test_list_keeps_long_tag_values_out_of_the_table(neural, store):
    """A search trial's experiment carries its search identity (a JSON object) as a tag: the
    table names it, `show` and `--json` hold it whole."""
    identity = json.dumps({"backend": "pytorch", "dataset": "digits", "space": [{"name": "units"}] * 4})
    status, _, _ = neural("init", "trial_like", "--tag", "trial=3", "--tag", f"search_identity={identity}")
    assert status == 0
    status, out, _ = neural("list")
    assert status == 0 and "trial=3,search_identity=…" in out and identity not in out
    assert identity in neural("show", current_id(store))[1]
    assert json.loads(neural("list", "--json")[1])[0]["tags"]["search_identity"] == identity


def test_init_log_show_list_finish(neural, store, tmp_path):
    status, out, _ = neural("init", "cli_demo", "--tag", "baseline", "--tag", "lr=0.01",
                            "--notes", "from the shell")
    assert status == 0 and "it is now the current experiment" in out
    experiment_id = current_id(store)  # state lives in the store, not in the shell
    assert f"(id {experiment_id})" in out
    assert neural("log", "--hyperparameters", '{"lr": 0.01, "batch_size": 32}')[0] == 0
    for step, (loss, acc) in enumerate([(0.9, 0.5), (0.5, 0.7), (0.4, 0.8)]):
        status, out, _ = neural("log", "--metrics", json.dumps({"loss": loss, "acc": acc}),
                                "--step", str(step))
        assert status == 0 and f"at step {step}" in out
    status, out, _ = neural("log", "--metrics", '{"loss": NaN}')  # Python JSON extension
    assert status == 0 and "at step 3" in out
    model = tmp_path / "model.h5"
    model.write_bytes(b"h5 bytes")
    status, out, _ = neural("log", "--artifact", str(model), "--framework", "tensorflow")
    assert status == 0 and "stored model.h5 v1 (8 bytes" in out

    tracker = ExperimentManager(store).get_experiment(experiment_id)
    assert tracker.hyperparameters == {"lr": 0.01, "batch_size": 32}
    assert tracker.get_metrics("acc") == [0.5, 0.7, 0.8]
    assert tracker.get_artifact_version("model.h5").framework == "tensorflow"
    assert tracker.tags == {"baseline": "", "lr": "0.01"}

    status, out, _ = neural("show", experiment_id[:4])
    assert status == 0 and "cli_demo" in out and "status       running" in out
    assert "loss" in out and "min 0.4 @ step 2" in out and "model.h5: 1 version(s)" in out
    status, out, _ = neural("show", experiment_id, "--json")
    shown = json.loads(out)
    assert shown["summary"]["metrics"]["acc"]["max"] == 0.8
    assert shown["hyperparameters"]["batch_size"] == 32
    status, out, _ = neural("list")
    assert status == 0 and f"*  {experiment_id}  cli_demo  running" in out
    status, out, _ = neural("finish")
    assert status == 0 and "marked completed" in out and not (store / "current").exists()
    listed = json.loads(neural("list", "--json", "--status", "completed")[1])
    assert [e["experiment_id"] for e in listed] == [experiment_id]
    assert listed[0]["metric_records"] == 4
    assert (Path(listed[0]["experiment_dir"]) / "plots" / "metric_loss.png").is_file()


def test_plot_compare_export_delete(neural, store, tmp_path):
    ids = []
    for name, losses in (("a", [0.9, 0.4]), ("b", [0.8, 0.2])):
        neural("init", name)
        ids.append(current_id(store))
        for loss in losses:
            neural("log", "--metrics", json.dumps({"loss": loss}))
    status, out, _ = neural("plot", ids[0], "--metrics", "loss")
    assert status == 0 and "metric_loss:" in out
    assert Path(out.split("metric_loss: ")[1].split()[0]).is_file()
    status, out, err = neural("plot", ids[0], "--metrics", "accuracy")
    assert status == 2 and "unknown metric(s) accuracy" in err and "it has: loss" in err
    status, out, _ = neural("compare", *ids, "--output", str(tmp_path / "cmp"))
    assert status == 0 and "*0.2" in out
    assert (tmp_path / "cmp" / "compare_loss.png").is_file()
    status, out, _ = neural("export", *ids, "--output", str(tmp_path / "exp"))
    assert status == 0 and (tmp_path / "exp" / "index.html").is_file()
    status, _, err = neural("delete", ids[0])  # stdin is not a terminal under pytest
    assert status == 2 and "without --yes" in err
    status, out, _ = neural("delete", ids[0], "--yes")
    assert status == 0 and not any(store.glob(f"*_{ids[0]}"))
    status, _, err = neural("delete", "../" + ids[1], "--yes")
    assert status == 2 and "refused" in err and any(store.glob(f"*_{ids[1]}"))


@pytest.mark.parametrize("args, message", [
    (["log", "--metrics", "{\"loss\": }"], "--metrics: invalid JSON at line 1 column 10"),
    (["log", "--metrics", "[1, 2]"], "expected a JSON object"),
    (["log", "--metrics", '{"loss": "low"}'], "metric 'loss' must be a real number, got str"),
    (["log", "--hyperparameters", "{oops"], "--hyperparameters: invalid JSON"),
    (["log", "--hyperparameters", "@missing.json"], "cannot read missing.json"),
    (["log"], "nothing to log"),
    (["log", "--step", "3", "--hyperparameters", "{}"], "--step needs --metrics"),
    (["log", "--artifact", "nope.bin"], "--artifact: nope.bin does not exist"),
    (["log", "--experiment", "ffffffffff", "--metrics", "{}"], "no experiment with id"),
    (["show", "0123456789"], "no experiment with id '0123456789'"),
    (["compare", "x"], "at least 2 different experiment ids"),
    (["init", "x", "--tracking-uri", "sqlite:///x.db"], "--tracking-uri is for --integration mlflow"),
])
def test_user_mistakes_are_one_clear_line(neural, args, message):
    neural("init", "target")
    status, _, err = neural(*args)
    assert status == 2
    assert message in err and "Traceback" not in err


def test_log_without_init_and_ambiguous_prefix(neural, store):
    status, _, err = neural("log", "--metrics", '{"a": 1}')
    assert status == 2 and "no current experiment" in err and "neural track init" in err
    first_chars: set[str] = set()
    while True:  # until two ids share a first character (at most 17 experiments)
        neural("init", "x")
        new = current_id(store)
        if new[0] in first_chars:
            break
        first_chars.add(new[0])
    status, _, err = neural("show", new[0])
    assert status == 2 and "matches 2 experiments" in err


def test_mlflow_mirror_from_the_cli(neural, store, tmp_path, mlflow_db):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{mlflow_db(tmp_path / 'cli.db')}"
    status, out, _ = neural("init", "mirrored", "--integration", "mlflow", "--tracking-uri", uri)
    assert status == 0 and "mirror mlflow: ok" in out
    experiment_id = current_id(store)
    run_id = ExperimentManager(store).get_experiment(experiment_id).metadata["mirrors"][0][
        "state"]["run_id"]
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    assert run.info.status == "RUNNING" and run.data.tags["neural.experiment_id"] == experiment_id
    assert neural("finish")[0] == 0  # another process: re-attaches to the same run
    assert client.get_run(run_id).info.status == "FINISHED"


def test_tensorboard_mirror_across_cli_calls(neural, store, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log_dir = tmp_path / "tb"
    status, out, _ = neural("init", "tb", "--integration", "tensorboard", "--log-dir", str(log_dir))
    assert status == 0 and "mirror tensorboard: ok" in out
    neural("log", "--hyperparameters", '{"lr": 0.1}', "--metrics", '{"loss": 0.7}')
    neural("log", "--metrics", '{"loss": 0.6}')
    assert neural("finish")[0] == 0
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    assert [(e.step, round(e.value, 3)) for e in acc.Scalars("loss")] == [(0, 0.7), (1, 0.6)]
    assert "| lr | 0.1 |" in acc.Tensors("hyperparameters")[0].tensor_proto.string_val[0].decode()


def test_neural_track_runs_as_a_program(store):
    done = subprocess.run(
        [sys.executable, "-m", "runner", "track", "init", "proc", "--base-dir", str(store)],
        capture_output=True, text=True, env=child_env(), timeout=60,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "runner", "track", "log", "--base-dir", str(store),
         "--metrics", "{bad"], capture_output=True, text=True, env=child_env(), timeout=60,
    )
    assert done.returncode == 2 and done.stderr.startswith("neural: error: --metrics: invalid JSON")


def test_an_unreachable_mlflow_server_fails_fast_and_keeps_the_local_record(store, tmp_path):
    pytest.importorskip("mlflow")
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "runner", "track", "init", "x", "--base-dir", str(store),
         "--integration", "mlflow", "--tracking-uri", uri],
        capture_output=True, text=True, env=child_env(), cwd=tmp_path, timeout=120)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert f"MLflow tracking server {uri} is not reachable" in done.stdout
    assert "Connection refused" in done.stdout
    assert took < 100, f"took {took:.0f} s"  # was 195 s of retries; the bound is for a loaded CI
    listed = ExperimentManager(store).list_experiments()
    assert [e["experiment_name"] for e in listed] == ["x"]
