"""Training callback that records a run in the experiment store (and its mirrors)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.training import TrainingCallback


class TrackingCallback(TrainingCallback):
    """Logs the run's settings at the start and every epoch's metrics as they come."""

    def __init__(self, tracker: Any, hyperparameters: Mapping[str, Any]) -> None:
        self.tracker = tracker
        self.hyperparameters = dict(hyperparameters)

    def on_train_begin(self, info) -> None:
        self.tracker.log_hyperparameters({
            **self.hyperparameters,
            "backend": info.backend, "device": info.device, "dataset": info.dataset,
            "epochs": info.epochs, "batch_size": info.batch_size,
        })

    def on_epoch_end(self, epoch: int, metrics: Mapping[str, float]) -> None:
        self.tracker.log_metrics(dict(metrics), step=epoch)
