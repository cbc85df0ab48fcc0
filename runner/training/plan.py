"""Everything a backend loop needs, prepared once by fit(): settings, split data, callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runner.data import Dataset
from runner.metrics.validation import MetricError, ValidationMetrics, prepare
from runner.training.callbacks import CallbackList, TrainInfo
from runner.training.errors import TrainingError
from runner.training.progress import EpochProgress
from runner.training.session import Session
from runner.training.settings import TrainSettings
from runner.training.split import Split


def metric_names(accuracy: bool, validation: bool, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    names = ["loss"] + (["accuracy"] if accuracy else [])
    if validation:
        names += [f"val_{n}" for n in names]
    return (*names, *extra, "epoch_time")


def batch_bounds(n: int, batch_size: int) -> list[tuple[int, int]]:
    """Batch [start, stop) pairs; a last batch of one sample joins the one before (BatchNorm
    cannot train on a single sample in PyTorch)."""
    bounds = [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


@dataclass
class Plan:
    module: Any
    dataset: Dataset
    split: Split
    settings: TrainSettings
    callbacks: CallbackList
    quiet: bool
    metrics: tuple[Any, ...] = ()
    extra: ValidationMetrics | None = None

    @property
    def loss_name(self) -> str:
        return str(self.module.CONFIG.get("loss", ""))

    def validation_metrics(self, kind: str | None) -> ValidationMetrics | None:
        """Check the requested extra metrics fit the data (before the first epoch)."""
        try:
            self.extra = prepare(self.metrics, self.split.y_val, kind, self.dataset.name)
        except MetricError as exc:
            raise TrainingError(str(exc)) from None
        return self.extra

    def compute_extra(self, y_pred: Any) -> dict[str, float]:
        """The extra metrics of one epoch from the model's validation outputs."""
        if self.extra is None:
            return {}
        try:
            return self.extra.compute(y_pred)
        except MetricError as exc:
            raise TrainingError(str(exc)) from None

    def session(self, *, backend: str, device: str, steps: int, accuracy: bool) -> Session:
        validation = self.split.x_val is not None
        info = TrainInfo(
            backend=backend,
            device=device,
            network=str(self.module.CONFIG.get("network", "")),
            dataset=self.dataset.name,
            epochs=self.settings.epochs,
            batch_size=self.settings.batch_size,
            steps_per_epoch=steps,
            train_samples=len(self.split.x_train),
            val_samples=self.split.val_samples,
            seed=self.settings.seed,
            monitor="val_loss" if validation else "loss",
            metrics=metric_names(accuracy, validation, self.extra.names if self.extra else ()),
        )
        return Session(self.settings, self.callbacks, EpochProgress(self.settings.epochs, quiet=self.quiet), info)


def seed_python_and_numpy(seed: int) -> None:
    """The framework-independent half of seeding; each loop seeds its framework after this."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
