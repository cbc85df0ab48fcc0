"""Training on both backends through fit(): learning, metrics, callbacks, early stopping, seeds.

Every test that trains runs once per backend (the `backend` fixture), on tiny models, so the two
loops are held to the same behaviour.
"""

from __future__ import annotations

import numpy as np
import pytest

from runner.data import DataError, load_dataset
from runner.training import History, StopTraining, TrainingCallback, TrainingError, fit

CLASSIFICATION_KEYS = ["loss", "accuracy", "val_loss", "val_accuracy", "epoch_time"]


class Recorder(TrainingCallback):
    def __init__(self, stop_at: int | None = None) -> None:
        self.info = None
        self.epochs: list[tuple[int, dict]] = []
        self.history = None
        self.stop_at = stop_at

    def on_train_begin(self, info):
        self.info = info

    def on_epoch_end(self, epoch, metrics):
        self.epochs.append((epoch, dict(metrics)))
        if epoch == self.stop_at:
            raise StopTraining(f"pruned at epoch {epoch}")

    def on_train_end(self, history):
        self.history = history


def without_time(history: History) -> list[dict]:
    return [{k: v for k, v in m.items() if k != "epoch_time"} for m in history.epochs]


# --- learning ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("arch", "epochs"), [("mlp", 5), ("cnn", 4)])
def test_digits_beats_chance_clearly(make_module, digits, arch, epochs):
    history = fit(make_module(arch), digits, epochs=epochs, quiet=True)
    assert len(history.epochs) == epochs and not history.stopped_early
    assert history.final["val_accuracy"] > 0.85  # chance is 0.10
    assert history.final["loss"] < history.epochs[0]["loss"]


def test_every_epoch_reports_the_same_metrics_and_callbacks_see_them(make_module, digits, backend):
    rec = Recorder()
    history = fit(make_module(), digits, epochs=3, quiet=True, callbacks=[rec])
    assert [list(m) for m in history.epochs] == [CLASSIFICATION_KEYS] * 3
    assert [e for e, _ in rec.epochs] == [1, 2, 3]
    assert [m for _, m in rec.epochs] == history.epochs
    assert rec.history is history
    info = rec.info
    assert (info.backend, info.epochs, info.batch_size, info.seed) == (backend, 3, 32, 0)
    assert (info.train_samples, info.val_samples) == (1438, 359)  # 20% of 1,797 held out
    assert info.steps_per_epoch in (44, 45)  # 1438 / 32 (PyTorch folds a 1-sample tail batch)
    assert info.monitor == "val_loss" and list(info.metrics) == CLASSIFICATION_KEYS
    assert history.backend == backend and history.device in ("cpu", "/CPU:0")
    assert all(0 <= m["accuracy"] <= 1 and m["epoch_time"] > 0 for m in history.epochs)
    assert history.best_epoch == int(np.argmin(history.series("val_loss"))) + 1
    assert history.best == history.epochs[history.best_epoch - 1]
    assert history.model is not None


def test_without_validation_there_are_no_val_metrics(make_module, digits):
    rec = Recorder()
    history = fit(make_module(), digits, epochs=2, validation_split=0.0, quiet=True, callbacks=[rec])
    assert list(history.final) == ["loss", "accuracy", "epoch_time"]
    assert history.monitor == "loss" and rec.info.val_samples == 0 and rec.info.train_samples == 1797


@pytest.mark.parametrize(
    ("dataset", "epochs", "options", "keys"),
    [
        ("breast_cancer", 4, {"input_shape": (30,), "units": 1, "activation": "sigmoid",
                              "loss": "binary_crossentropy"}, CLASSIFICATION_KEYS),
        ("iris", 20, {"input_shape": (4,), "units": 3, "loss": "categorical_crossentropy"}, CLASSIFICATION_KEYS),
        ("synthetic_regression", 6, {"input_shape": (20,), "units": 1, "activation": None, "loss": "mse"},
         ["loss", "val_loss", "epoch_time"]),
    ],
)
def test_targets_follow_the_loss(make_module, dataset, epochs, options, keys):
    data = load_dataset(dataset, input_shape=options["input_shape"])
    history = fit(make_module(**options), data, epochs=epochs, quiet=True)
    assert list(history.final) == keys
    if "val_accuracy" in keys:
        assert history.final["val_accuracy"] > 0.8  # chance is 0.63 (breast_cancer), 0.33 (iris)
    else:
        assert history.final["val_loss"] < 0.5 * history.epochs[0]["val_loss"]


# --- early stopping ---------------------------------------------------------------------------

def test_early_stopping_triggers_when_nothing_improves(make_module, digits, backend):
    """SGD with learning rate 0: val_loss is the same every epoch, so epoch 1 stays best."""
    module = make_module(optimizer="sgd", lr=0.0, train={"early_stopping": True, "patience": 2})
    history = fit(module, digits, epochs=10, quiet=True)
    assert len(history.epochs) == 3  # epoch 1, then `patience` epochs without improvement
    assert history.stopped_early and history.stop_reason == "early_stopping"
    assert "val_loss did not improve" in history.stop_message
    assert history.best_epoch == 1


def test_min_delta_counts_small_gains_as_no_gain(make_module, digits):
    """The model learns, but never by 10 nats per epoch."""
    history = fit(
        make_module(), digits, epochs=10, early_stopping=True, patience=1, min_delta=10.0, quiet=True
    )
    assert len(history.epochs) == 2 and history.stop_reason == "early_stopping"
    assert history.series("val_loss")[1] < history.series("val_loss")[0]


def test_no_early_stopping_when_switched_off(make_module, digits):
    module = make_module(optimizer="sgd", lr=0.0, train={"early_stopping": False, "patience": 0})
    history = fit(module, digits, epochs=4, quiet=True)
    assert len(history.epochs) == 4 and not history.stopped_early and history.stop_reason is None


def test_non_finite_loss_stops_the_run(make_module, digits):
    history = fit(make_module(loss="nan"), digits, epochs=5, quiet=True)
    assert len(history.epochs) == 1 and history.stop_reason == "non_finite_loss"


# --- callbacks --------------------------------------------------------------------------------

def test_stop_training_ends_after_that_epoch_and_every_callback_sees_it(make_module, digits):
    pruner, watcher = Recorder(stop_at=2), Recorder()
    history = fit(make_module(), digits, epochs=6, quiet=True, callbacks=[pruner, watcher])
    assert len(history.epochs) == 2
    assert [e for e, _ in watcher.epochs] == [1, 2]  # the later callback still got epoch 2
    assert history.stopped_early and history.stop_reason == "callback"
    assert history.stop_message == "pruned at epoch 2"
    assert pruner.history is history and watcher.history is history


def test_a_callback_returning_a_value_is_an_error(make_module, digits):
    class ReturnsTrue(TrainingCallback):
        def on_epoch_end(self, epoch, metrics):
            return True

    with pytest.raises(TypeError, match="raise runner.training.StopTraining"):
        fit(make_module(), digits, epochs=2, quiet=True, callbacks=[ReturnsTrue()])


def test_other_exceptions_in_callbacks_propagate(make_module, digits):
    class Broken(TrainingCallback):
        def on_epoch_end(self, epoch, metrics):
            raise RuntimeError("tracker is down")

    with pytest.raises(RuntimeError, match="tracker is down"):
        fit(make_module(), digits, epochs=2, quiet=True, callbacks=[Broken()])


# --- reproducibility --------------------------------------------------------------------------

def test_same_seed_same_run_other_seed_other_run(make_module, digits):
    runs = [fit(make_module(), digits, epochs=2, seed=s, quiet=True) for s in (7, 7, 8)]
    assert without_time(runs[0]) == without_time(runs[1])
    assert without_time(runs[0]) != without_time(runs[2])
    assert runs[0].seed == 7


def test_unseeded_runs_record_their_seed(make_module, digits):
    module = make_module(train={"seed": None})
    history = fit(module, digits, epochs=1, quiet=True)
    again = fit(module, digits, epochs=1, seed=history.seed, quiet=True)
    assert without_time(history) == without_time(again)


# --- schedules and progress -------------------------------------------------------------------

def test_learning_rate_schedule_steps_once_per_optimizer_step(make_module, digits, backend):
    module = make_module(schedule=True)
    history = fit(module, digits, epochs=2, quiet=True)
    steps = 2 * 45  # 1438 training samples in batches of 32
    if backend == "pytorch":
        assert module.last_scheduler.last_epoch == steps
    else:
        assert int(history.model.optimizer.iterations) == steps


def test_progress_shows_each_epoch_unless_quiet(make_module, digits, capsys):
    fit(make_module(), digits, epochs=2, quiet=False)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "val_acc" in err
    fit(make_module(), digits, epochs=2, quiet=True)
    assert "epoch" not in capsys.readouterr().err


def test_progress_to_a_pipe_is_a_line_per_epoch_as_it_ends(make_module, digits, capsys):
    """`neural run ... 2>&1 | tee log`: rich's bars would reach a pipe only when the run is over."""
    seen: list[str] = []

    class Peek(TrainingCallback):
        def on_epoch_end(self, epoch, metrics):
            seen.append(capsys.readouterr().err)

    fit(make_module(), digits, epochs=3, quiet=False, callbacks=[Peek()])
    assert [s.count("\n") for s in seen] == [1, 1, 1]
    assert [s.split()[:2] for s in seen] == [["epoch", "1/3"], ["epoch", "2/3"], ["epoch", "3/3"]]
    assert all("val_acc" in s for s in seen)


# --- mistakes become clear errors -------------------------------------------------------------

@pytest.mark.parametrize("device", ["mps", "tpu", "cuda:7"])
def test_unavailable_devices_are_clear_errors(make_module, digits, device):
    with pytest.raises(TrainingError, match=rf"device '{device}'.*(not available|not supported)"):
        fit(make_module(), digits, epochs=1, device=device, quiet=True)


def test_auto_device_is_the_cpu_here(make_module, digits):
    history = fit(make_module(), digits, epochs=1, device="auto", quiet=True)
    assert history.device in ("cpu", "/CPU:0")


def test_too_few_output_units_for_the_classes(make_module, digits):
    with pytest.raises(TrainingError, match="'digits' has 10 classes but the network's output has 3 units"):
        fit(make_module(units=3), digits, epochs=1, quiet=True)


def test_classification_loss_on_regression_data(make_module):
    data = load_dataset("synthetic_regression", input_shape=(20,))
    with pytest.raises(TrainingError, match="needs class labels.*regression set"):
        fit(make_module(input_shape=(20,), units=1, activation=None), data, epochs=1, quiet=True)


def test_dataset_must_fit_the_input_shape(make_module):
    flat = load_dataset("digits", input_shape=(64,), reshape=True)
    with pytest.raises(DataError, match=r"\(64,\).*\(8, 8, 1\).*reshape"):
        fit(make_module(), flat, epochs=1, quiet=True)


LOGITS_PROGRAM = """network L {{
  input: {shape}
  layers:
    Flatten()
    Dense(16, activation="relu")
    Output({units}, activation="{act}")
  loss: "{loss}"
  optimizer: Adam(learning_rate=0.01)
}}
"""


def _generated(**fmt):
    import types

    from compiler.codegen import generate_code

    m = types.ModuleType("gen_logits")
    exec(compile(generate_code(LOGITS_PROGRAM.format(**fmt), "pytorch"), "gen_logits", "exec"), m.__dict__)
    return m


@pytest.mark.torch
def test_a_softmax_output_trains_on_its_logits_with_the_exact_loss(digits):
    """The generated module offers logits() and build_logits_loss(): every batch goes through
    them (no softmax, no clamp on the training path); build_loss() stays for the output's users."""
    pytest.importorskip("torch")
    m = _generated(shape="(8, 8, 1)", units=10, act="softmax", loss="sparse_categorical_crossentropy")
    calls = {"output": 0, "logits": 0}

    def counting(name, build):
        def make():
            loss = build()

            def counted(out, y):
                calls[name] += 1
                return loss(out, y)
            return counted
        return make

    m.build_loss, m.build_logits_loss = counting("output", m.build_loss), counting("logits", m.build_logits_loss)
    h = fit(m, digits, epochs=2, batch_size=64, quiet=True, seed=0, validation_split=0.2)
    assert calls["output"] == 0 and calls["logits"] > 2 * (len(digits) * 0.8 // 64)
    assert h.final["val_accuracy"] > 0.5


@pytest.mark.torch
def test_binary_accuracy_on_logits_is_the_accuracy_of_the_output():
    """A sigmoid output trained on its logits: a logit above 0 is a probability above 0.5, so
    the reported accuracy is what the trained model's output gives."""
    torch = pytest.importorskip("torch")
    from runner.data.dataset import Dataset

    # noise: the model stays unsure, so many logits fall between 0 and 0.5 (where a 0.5
    # threshold on logits would call the sample 0 while its probability says 1)
    rng = np.random.default_rng(0)
    ds = Dataset(rng.normal(size=(400, 6)).astype("float32"), rng.integers(0, 2, 400), 2, (6,), "noise",
                 "classification")
    m = _generated(shape="(6,)", units=1, act="sigmoid", loss="binary_crossentropy")
    h = fit(m, ds, epochs=1, batch_size=32, quiet=True, seed=0, validation_split=0.25)
    from runner.training.split import split_validation

    split = split_validation(ds.x, ds.y, 0.25, seed=0)
    with torch.no_grad():
        out = h.model.eval()(torch.as_tensor(split.x_val, dtype=torch.float32))
    expected = ((out[:, 0] > 0.5).long().numpy() == split.y_val).mean()
    assert h.final["val_accuracy"] == pytest.approx(expected)
    assert ((out[:, 0] > 0.5) & (out[:, 0] < 0.62)).any()  # the case that tells the thresholds apart
