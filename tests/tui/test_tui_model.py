"""Table logic without the app: filters, columns, differing hyperparameters, sorting."""

from __future__ import annotations

import math
from pathlib import Path

from runner.tui import format as fmt
from runner.tui.cells import sort_tuple
from runner.tui.experiment import ExperimentState
from runner.tui.filters import matches, parse_filter
from runner.tui.mirrors import mirror_hints
from runner.tui.model import ExperimentsModel, HyperparameterDiff, short_labels
from runner.tui.studies import redact


def state(key: str, status: str = "completed", tags=None, hp=None, notes: str = "",
          metrics: list[dict] | None = None) -> ExperimentState:
    s = ExperimentState(key=key, path=Path("/nowhere") / key, experiment_id=key[-8:],
                        name=key.rsplit("_", 1)[0])
    s.apply_metadata({"experiment_id": key[-8:], "experiment_name": s.name, "status": status,
                      "tags": tags or {}, "notes": notes, "start_timestamp": 1.0})
    s.apply_hyperparameters(hp or {})
    s.absorb([{"step": i, **m} for i, m in enumerate(metrics or [])])
    return s


def test_filter_terms():
    a = state("resnet_00000001", "running", tags={"study": "s1", "baseline": ""}, notes="wide",
              hp={"layers[1].Dense.activation": "relu", "lr": 0.1})
    b = state("mlp_00000002", "failed", tags={"study": "s2"}, hp={"optimizer": {"lr": 0.01}})
    cases = {
        "": (True, True),
        "resnet": (True, False),
        "status:running": (True, False),
        "s:failed,running": (True, True),
        "tag:study=s2": (False, True),
        "t:baseline": (True, False),
        "-resnet": (False, True),
        "-status:failed wide": (True, False),
        "00000002": (False, True),
        '"study=s1"': (True, False),
        "relu": (True, False),  # hyperparameter values
        "activation=relu": (True, False),
        "lr=0.01": (False, True),  # nested: optimizer.lr=0.01
        "lr=0.1": (True, False),
        "lr=0": (True, True),  # substrings match
    }
    for text, expected in cases.items():
        flt = parse_filter(text)
        assert (matches(flt, a), matches(flt, b)) == expected, text
    assert parse_filter('unbalanced "quote').terms  # while typing: no exception


def test_hyperparameters_that_differ():
    diff = HyperparameterDiff()
    diff.add("a", {"lr": "0.1", "bs": "32", "opt": '"adam"'})
    diff.add("b", {"lr": "0.01", "bs": "32"})
    assert diff.differing() == ["lr"]
    diff.add("c", {"lr": "0.1", "bs": "64", "opt": '"sgd"'})
    assert diff.differing() == ["lr", "bs", "opt"]
    diff.remove("c")
    assert diff.differing() == ["lr"]
    diff.add("b", {"lr": "0.1", "bs": "32"})  # b changed its value: replaced, not added
    assert diff.differing() == []


def test_short_labels_are_unique_suffixes():
    keys = ["layers[1].Dense.units", "layers[3].Dense.units", "optimizer.Adam.learning_rate",
            "train.batch_size", "batch_size"]
    labels = short_labels(keys)
    assert labels["optimizer.Adam.learning_rate"] == "learning_rate"
    assert labels["layers[1].Dense.units"] == "[1].Dense.units"
    assert labels["train.batch_size"] == "train.batch_size"
    assert len(set(labels.values())) == len(keys)


def test_columns_main_metrics_and_differing_hparams():
    experiments = {
        s.key: s for s in (
            state("a_00000001", hp={"lr": 0.1, "bs": 32},
                  metrics=[{"loss": 1.0, "epoch_time": 3.0, "f1": 0.2}]),
            state("b_00000002", hp={"lr": 0.01, "bs": 32},
                  metrics=[{"loss": 0.5, "val_loss": 0.7, "epoch_time": 1.0}]),
        )
    }
    model = ExperimentsModel(experiments)
    model.sync(experiments, [])
    keys = [c.key for c in model.columns()]
    assert keys[:7] == ["mark", "name", "id", "status", "start", "duration", "steps"]
    # preferred names first, bookkeeping ("time") last; only three by default
    assert keys[7:13] == ["m:val_loss:last", "m:val_loss:best", "m:loss:last", "m:loss:best",
                          "m:f1:last", "m:f1:best"]
    assert keys[13:] == ["hp:lr"]  # bs is the same everywhere
    model.set_filter(parse_filter("a_"))
    assert "hp:lr" not in [c.key for c in model.columns()]  # one run left: nothing differs
    assert ExperimentsModel(experiments, metrics=["epoch_time"]).main_metrics() == ["epoch_time"]


def test_sort_keeps_missing_values_last_both_ways():
    values = [3.0, None, 1.0, float("nan"), 2.0]
    asc = sorted(values, key=lambda v: sort_tuple(v, False))
    desc = sorted(values, key=lambda v: sort_tuple(v, True), reverse=True)
    assert asc[:3] == [1.0, 2.0, 3.0] and desc[:3] == [3.0, 2.0, 1.0]
    assert all(v is None or math.isnan(v) for v in asc[3:] + desc[3:])
    mixed = sorted(["b", 2, "a", 10], key=lambda v: sort_tuple(v, False))
    assert mixed == [2, 10, "a", "b"]  # numbers, then text


def test_formats():
    assert fmt.number(0.123456) == "0.1235" and fmt.number(12) == "12"
    assert fmt.number(float("nan")) == "nan" and fmt.number(None) == ""
    assert fmt.duration(5.04) == "5.0s" and fmt.duration(65) == "1m05s"
    assert fmt.duration(7322) == "2h02m" and fmt.duration(None) == ""
    assert fmt.size(2048) == "2.0 KB"
    assert fmt.sparkline([1, 2, 3, 4], 4) == "▁▃▆█"
    assert fmt.sparkline([1, float("nan"), 3], 3) == "▁ █"
    assert fmt.value(0.1 + 0.2, exact=True) == "0.30000000000000004"


def test_mirror_hints_and_redaction():
    hints = mirror_hints([
        {"backend": "mlflow", "state": {"tracking_uri": "sqlite:////s/mlflow.db", "run_id": "r1"}},
        {"backend": "tensorboard", "state": {"log_dir": "/s/e/tensorboard"}},
        {"backend": "wandb", "error": "IntegrationUnavailable: no wandb"},
    ])
    assert hints[0] == "MLflow: mlflow ui --backend-store-uri sqlite:////s/mlflow.db   (run r1)"
    assert hints[1] == "TensorBoard: tensorboard --logdir /s/e/tensorboard"
    assert "mirror failed" in hints[2]
    assert redact("postgresql://bob:secret@db:5432/optuna") == "postgresql://bob:***@db:5432/optuna"
    assert redact("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
