import math
from pathlib import Path

import numpy as np
import pytest

from runner.tracking.errors import MetricValueError


def test_non_finite_metrics_round_trip_as_strict_json(make_tracker):
    tracker = make_tracker()
    tracker.log_metrics({"loss": float("nan"), "up": float("inf"), "down": -math.inf}, step=0)
    tracker.log_metrics({"loss": 0.5, "up": 1, "down": -2}, step=1)
    raw = (Path(tracker.experiment_dir) / "metrics.jsonl").read_text()
    assert "NaN" in raw and '"Infinity"' in raw
    for line in raw.splitlines():  # strict JSON: no bare NaN / Infinity tokens
        import json

        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-standard JSON token {c}"))
    first, second = tracker.metrics_history
    assert math.isnan(first["loss"]) and first["up"] == math.inf and first["down"] == -math.inf
    assert second == {**second, "loss": 0.5, "up": 1, "down": -2}
    assert isinstance(second["up"], int)


def test_numpy_scalars_become_plain_numbers(make_tracker):
    tracker = make_tracker()
    tracker.log_metrics({
        "f32": np.float32(0.25), "f64": np.float64(0.1), "i64": np.int64(7),
        "flag": np.bool_(True), "zero_d": np.array(3.5), "one": np.array([2.0]),
        "nan32": np.float32("nan"),
    }, step=np.int64(4))
    (record,) = tracker.metrics_history
    assert record["step"] == 4
    assert record["f32"] == 0.25 and record["f64"] == 0.1 and record["i64"] == 7
    assert record["flag"] == 1 and record["zero_d"] == 3.5 and record["one"] == 2.0
    assert math.isnan(record["nan32"])
    assert type(record["i64"]) is int


def test_torch_scalars_are_unwrapped():
    torch = pytest.importorskip("torch")
    from runner.tracking.values import metric_record

    loss = (torch.ones(3, requires_grad=True) * 0.5).sum()
    record = metric_record({"loss": loss, "acc": torch.tensor(0.75, dtype=torch.bfloat16),
                            "n": torch.tensor(3), "inf": torch.tensor(float("inf"))})
    assert record == {"loss": 1.5, "acc": 0.75, "n": 3, "inf": "Infinity"}
    with pytest.raises(MetricValueError, match=r"'batch' must be a scalar.*4 elements.*\(2, 2\)"):
        metric_record({"batch": torch.zeros(2, 2)})


@pytest.mark.parametrize("value, message", [
    ("0.5", "must be a real number, got str"),
    (None, "must be a real number, got NoneType"),
    ([1.0], "must be a real number, got list"),
    (np.zeros(3), "must be a scalar, got ndarray with 3 elements"),
    (1 + 2j, "must be a real number, got complex"),
])
def test_bad_metric_values_are_clear_errors_and_write_nothing(make_tracker, value, message):
    tracker = make_tracker()
    with pytest.raises(MetricValueError, match=message):
        tracker.log_metrics({"ok": 1.0, "bad": value}, step=0)
    assert tracker.metrics_history == []


@pytest.mark.parametrize("metrics, message", [
    ({"step": 1.0}, "reserved"),
    ({"timestamp": 1.0}, "reserved"),
    ({"": 1.0}, "non-empty strings"),
    ({3: 1.0}, "non-empty strings"),
])
def test_bad_metric_names(make_tracker, metrics, message):
    with pytest.raises(MetricValueError, match=message):
        make_tracker().log_metrics(metrics)


def test_hyperparameters_round_trip(make_tracker):
    tracker = make_tracker()
    tracker.log_hyperparameters({
        "lr": np.float32(0.5), "layers": np.array([64, 32]), "nan": float("nan"),
        "opt": {"name": "adam", "betas": (0.9, 0.999), "eps": -math.inf},
        "path": Path("/data/x"), "flag": True, "none": None,
    })
    tracker.log_hyperparameters({"lr": 0.1})  # later values win
    hp = tracker.hyperparameters
    assert hp["lr"] == 0.1 and hp["layers"] == [64, 32] and math.isnan(hp["nan"])
    assert hp["opt"]["betas"] == [0.9, 0.999] and hp["opt"]["eps"] == -math.inf
    assert hp["path"] == "/data/x" and hp["flag"] is True and hp["none"] is None


@pytest.mark.parametrize("hp, message", [
    ({"f": object()}, r"hyperparameters\.f: object .* cannot be stored as JSON"),
    ({"d": {1: "a"}}, r"hyperparameters\.d: key 1 is a int"),
])
def test_hyperparameters_json_cannot_hold_are_clear_errors(make_tracker, hp, message):
    tracker = make_tracker()
    with pytest.raises(TypeError, match=message):
        tracker.log_hyperparameters(hp)
    assert tracker.hyperparameters == {}
