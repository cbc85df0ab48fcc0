"""fit(): train a generated (or hand-written) contract module on a dataset, on its own backend."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import Any

from runner.data import Dataset, fit_to_input
from runner.training.callbacks import CallbackList, TrainingCallback
from runner.training.errors import TrainingError
from runner.training.history import History
from runner.training.plan import Plan
from runner.training.settings import resolve_settings
from runner.training.split import split_validation

# module.BACKEND -> the loop that trains it (imported only when used: each pulls in its framework)
LOOPS = {
    "pytorch": "runner.training.torch_loop",
    "torch": "runner.training.torch_loop",
    "tensorflow": "runner.training.keras_loop",
    "keras": "runner.training.keras_loop",
}
REQUIRED = ("BACKEND", "CONFIG", "build_model", "build_optimizer", "build_loss")


def _loop_for(module: Any) -> str:
    missing = [name for name in REQUIRED if not hasattr(module, name)]
    label = getattr(module, "__name__", type(module).__name__)
    if missing:
        raise TrainingError(f"{label} is not a model module: it lacks {', '.join(missing)}")
    if not isinstance(module.CONFIG, dict):
        raise TrainingError(f"{label}.CONFIG must be a dict, got {type(module.CONFIG).__name__}")
    backend = module.BACKEND
    if backend not in LOOPS:
        raise TrainingError(f"{label}.BACKEND is {backend!r}; supported: 'pytorch', 'tensorflow'")
    return LOOPS[backend]


def fit(
    module: Any,
    dataset: Dataset,
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    callbacks: Iterable[TrainingCallback] = (),
    quiet: bool = False,
    validation_split: float | None = None,
    early_stopping: bool | None = None,
    patience: int | None = None,
    min_delta: float | None = None,
    seed: int | None = None,
    device: str | None = None,
    metrics: Sequence[Any] = (),
) -> History:
    """Train `module`'s model on `dataset` and return its History.

    Keyword arguments override module.CONFIG["train"] (and CONFIG["device"]); None keeps the
    module's value. `metrics` adds validation metrics beyond loss/accuracy (names of
    compiler.vocab.VALIDATION_METRICS or callables fn(y_true, y_pred)), recorded as val_<name>. Raises TrainingError for bad settings or an unusable device, DataError when
    the dataset does not fit CONFIG["input_shape"].
    """
    loop = _loop_for(module)
    overrides = {
        "epochs": epochs, "batch_size": batch_size, "validation_split": validation_split,
        "early_stopping": early_stopping, "patience": patience, "min_delta": min_delta,
        "seed": seed, "device": device,
    }
    settings = resolve_settings(module.CONFIG, overrides)
    if module.CONFIG.get("input_shape") is not None:
        dataset = fit_to_input(dataset, module.CONFIG["input_shape"])
    split = split_validation(dataset.x, dataset.y, settings.validation_split, settings.seed)
    plan = Plan(module, dataset, split, settings, CallbackList(callbacks), quiet, tuple(metrics))
    return importlib.import_module(loop).run(plan)
