"""fit()'s checks that run before any framework is imported."""

from __future__ import annotations

import sys
import types

import pytest

from runner.data import load_dataset
from runner.training import DEFAULTS, TrainingError, fit
from runner.training.callbacks import CallbackList, StopTraining, TrainingCallback
from runner.training.early_stopping import EarlyStopping
from runner.training.plan import batch_bounds
from runner.training.settings import resolve_settings
from runner.training.split import split_validation


def fake_module(backend="pytorch", **config):
    module = types.ModuleType("fake")
    module.BACKEND = backend
    module.CONFIG = {"network": "n", "input_shape": (4,), "loss": "mse", "train": {}, **config}
    module.build_model = module.build_optimizer = module.build_loss = lambda *a: None
    return module


@pytest.fixture(scope="module")
def iris():
    return load_dataset("iris")


def test_importing_the_runner_pulls_in_no_framework():
    code = "import runner.training, runner.data, sys; print(sorted({'torch','tensorflow','keras'} & set(sys.modules)))"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_not_a_contract_module(iris):
    with pytest.raises(TrainingError, match="lacks build_model, build_optimizer, build_loss"):
        fit(types.SimpleNamespace(BACKEND="pytorch", CONFIG={}), iris)
    with pytest.raises(TrainingError, match="BACKEND is 'jax'"):
        fit(fake_module("jax"), iris)


@pytest.mark.parametrize(
    ("setting", "value", "wanted"),
    [
        ("epochs", 0, "a positive integer"),
        ("epochs", 2.5, "a positive integer"),
        ("batch_size", True, "a positive integer"),
        ("validation_split", 1.0, r"a number in \[0, 1\)"),
        ("patience", -1, "a non-negative integer"),
        ("min_delta", "small", "a non-negative number"),
        ("early_stopping", "yes", "true or false"),
        ("seed", -3, "an integer"),
    ],
)
def test_bad_settings_are_named(iris, setting, value, wanted):
    module = fake_module(train={setting: value})
    with pytest.raises(TrainingError, match=rf"{setting}={value!r}.*must be {wanted}"):
        fit(module, iris)


def test_bad_device_is_named(iris):
    with pytest.raises(TrainingError, match="device='gpu0' is invalid"):
        fit(fake_module(device="gpu0"), iris)


def test_overrides_beat_config_and_config_beats_defaults():
    config = {"train": {"epochs": 4, "batch_size": 16, "seed": 3}, "device": "cpu"}
    s = resolve_settings(config, {"epochs": 9, "batch_size": None})
    assert (s.epochs, s.batch_size, s.seed, s.device) == (9, 16, 3, "cpu")
    assert s.patience == DEFAULTS["patience"] and s.validation_split == 0.0
    assert 0 <= resolve_settings({}, {}).seed < 2**31  # unseeded: a fresh seed, recorded


def test_validation_split_is_seeded_and_disjoint(iris):
    a = split_validation(iris.x, iris.y, 0.2, seed=1)
    b = split_validation(iris.x, iris.y, 0.2, seed=1)
    assert len(a.x_val) == 30 and len(a.x_train) == 120
    assert (a.x_val == b.x_val).all()
    rows = {tuple(r) for r in a.x_train.tolist()}
    assert not rows & {tuple(r) for r in a.x_val.tolist()}
    with pytest.raises(TrainingError, match="leaves nothing to train on"):
        split_validation(iris.x[:1], iris.y[:1], 0.5, seed=0)


def test_early_stopping_rule_matches_keras():
    rule = EarlyStopping("val_loss", patience=2, min_delta=0.1)
    decisions = [rule.update({"val_loss": v}) for v in (1.0, 0.95, 0.85, 0.8, 0.79)]
    # 0.95 is within min_delta of 1.0 (wait 1), 0.85 improves (wait 0), 0.8 and 0.79 do not
    assert decisions == [False, False, False, False, True]


def test_batches_never_end_with_a_single_sample():
    assert batch_bounds(65, 32) == [(0, 32), (32, 65)]
    assert batch_bounds(64, 32) == [(0, 32), (32, 64)]
    assert batch_bounds(1, 32) == [(0, 1)]


def test_callback_list_collects_the_first_stop_request():
    class Stopper(TrainingCallback):
        def __init__(self, msg):
            self.msg, self.seen = msg, []

        def on_epoch_end(self, epoch, metrics):
            self.seen.append(epoch)
            raise StopTraining(self.msg)

    a, b = Stopper("a"), Stopper("b")
    assert CallbackList([a, b]).on_epoch_end(1, {"loss": 1.0}) == "a"
    assert a.seen == b.seen == [1]
