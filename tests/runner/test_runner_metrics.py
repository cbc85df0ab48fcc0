"""Validation metrics beyond loss/accuracy (built-in names and callables) on both backends, and
the one rule for which way a metric is better."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.analysis import analyze
from runner.data import load_dataset
from runner.metrics import metric_direction, metric_mode
from runner.metrics.validation import canonical, extra_metrics
from runner.training import TrainingError, fit

BINARY = {"input_shape": (30,), "units": 1, "activation": "sigmoid", "loss": "binary_crossentropy"}
REGRESSION = {"input_shape": (20,), "units": 1, "activation": None, "loss": "mse"}


class Capture:
    """A callable metric that keeps what it was given (y_true, y_pred) and scores accuracy."""

    def __init__(self) -> None:
        self.__name__ = "captured"
        self.seen: list[tuple[np.ndarray, np.ndarray]] = []

    def __call__(self, y_true, y_pred) -> float:
        self.seen.append((np.array(y_true), np.array(y_pred)))
        return float(np.mean(np.asarray(y_pred).argmax(axis=1) == y_true))


def test_classification_metrics_match_scikit_learn_on_the_outputs_each_epoch(make_module, digits):
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    cap = Capture()
    history = fit(make_module(), digits, epochs=2, quiet=True,
                  metrics=["f1", "precision", "val_recall", "auc", cap])
    assert list(history.final) == ["loss", "accuracy", "val_loss", "val_accuracy", "val_f1",
                                   "val_precision", "val_recall", "val_auc", "val_captured", "epoch_time"]
    assert len(cap.seen) == 2  # once per epoch, on the validation split
    for record, (y_true, y_pred) in zip(history.epochs, cap.seen, strict=True):
        assert y_true.shape == (359,) and y_pred.shape == (359, 10)
        labels = y_pred.argmax(axis=1)
        assert record["val_captured"] == pytest.approx(record["val_accuracy"])
        assert record["val_f1"] == pytest.approx(f1_score(y_true, labels, average="macro"))
        assert record["val_precision"] == pytest.approx(precision_score(y_true, labels, average="macro"))
        assert record["val_recall"] == pytest.approx(recall_score(y_true, labels, average="macro"))
        ovr = np.mean([roc_auc_score(y_true == c, y_pred[:, c]) for c in range(10)])
        assert record["val_auc"] == pytest.approx(ovr)
    assert 0.5 < history.final["val_f1"] <= 1.0


def test_binary_metrics_score_the_positive_class(make_module):
    from sklearn.metrics import f1_score, roc_auc_score

    data = load_dataset("breast_cancer", input_shape=(30,))
    seen = []

    def keep(y_true, y_pred):
        seen.append((y_true, np.asarray(y_pred)))
        return 0.0

    history = fit(make_module(**BINARY), data, epochs=3, quiet=True, metrics=["f1", "auc", keep])
    y_true, y_pred = seen[-1]
    assert history.final["val_f1"] == pytest.approx(f1_score(y_true, (y_pred[:, 0] > 0.5).astype(int)))
    assert history.final["val_auc"] == pytest.approx(roc_auc_score(y_true, y_pred[:, 0]))
    assert history.final["val_auc"] > 0.9


def test_regression_metrics_agree_with_the_mse_loss(make_module):
    data = load_dataset("synthetic_regression", input_shape=(20,))
    history = fit(make_module(**REGRESSION), data, epochs=4, quiet=True, metrics=["mse", "mae", "r2"])
    for record in history.epochs:
        assert record["val_mse"] == pytest.approx(record["val_loss"], rel=1e-3)  # the loss is mse
        assert 0 < record["val_mae"] and record["val_r2"] < 1
    assert history.final["val_r2"] > history.epochs[0]["val_r2"]


@pytest.mark.parametrize(("dataset", "options", "metric", "message"), [
    ("synthetic_regression", REGRESSION, "f1", "'f1' needs a classification dataset"),
    ("digits", {}, "r2", "'r2' needs a regression dataset"),
])
def test_a_metric_that_does_not_fit_the_task_fails_before_training(make_module, dataset, options, metric, message):
    data = load_dataset(dataset, **({"input_shape": options["input_shape"]} if options else {}))
    with pytest.raises(TrainingError, match=message):
        fit(make_module(**options), data, epochs=50, quiet=True, metrics=[metric])


def test_validation_metrics_need_a_validation_split(make_module, digits):
    with pytest.raises(TrainingError, match="validation split: set validation_split > 0"):
        fit(make_module(), digits, epochs=1, validation_split=0.0, quiet=True, metrics=["f1"])


def test_a_failing_or_non_numeric_callable_is_named(make_module, digits):
    def broken(y_true, y_pred):
        raise KeyError("boom")

    with pytest.raises(TrainingError, match="metric 'broken' failed: KeyError"):
        fit(make_module(), digits, epochs=1, quiet=True, metrics=[broken])
    with pytest.raises(TrainingError, match="returned str, not a number"):
        fit(make_module(), digits, epochs=1, quiet=True, metrics=[lambda t, p: "high"])


# --- names and directions (no training) --------------------------------------------------------

@pytest.mark.parametrize(("name", "mode"), [
    ("loss", "min"), ("val_loss", "min"), ("val_mae", "min"), ("mse", "min"), ("epoch_time", "min"),
    ("accuracy", "max"), ("val_accuracy", "max"), ("f1", "max"), ("val_f1", "max"), ("auc", "max"),
    ("r2", "max"), ("precision", "max"), ("val_recall", "max"), ("my_score", "max"),
])
def test_one_rule_for_which_way_is_better(name, mode):
    from runner.tracking.summary import metric_mode as tracking_mode

    assert metric_mode(name) == mode
    assert tracking_mode is metric_mode  # tracking, the TUI and the web UI import this one rule
    assert metric_direction(name) == ("minimize" if mode == "min" else "maximize")


def test_metric_names_are_canonical_and_only_extras_are_computed():
    def score(y_true, y_pred):
        return 0.0

    assert [canonical(m) for m in ("f1", "val_f1", "val_loss", "accuracy")] == \
        ["val_f1", "val_f1", "val_loss", "accuracy"]
    assert canonical(score) == "val_score" and canonical(lambda t, p: 0.0) == "val_custom_metric"
    assert extra_metrics(["val_loss", "f1", None, "accuracy", score, "f1"]) == ("f1", score)


@pytest.mark.parametrize("metric", ["f1", "val_auc", "r2", "mae", "precision", "recall", "mse"])
def test_the_compiler_accepts_every_built_in_metric_in_train(metric):
    text = ("network N {\n  input: (4,)\n  layers:\n    Output(3)\n"
            f"  train {{ metric: \"{metric}\" }}\n}}\n")
    assert [d.message for d in analyze(text).errors] == []
    assert analyze(text.replace(metric, "f2")).errors  # still a closed vocabulary
