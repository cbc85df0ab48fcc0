"""What both training loops share around the framework code: the epoch record, early stopping,
callbacks and progress. A loop calls start_epoch / advance / end_epoch and finally finish().
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from runner.training import history as h
from runner.training.callbacks import CallbackList, TrainInfo
from runner.training.early_stopping import EarlyStopping
from runner.training.history import History
from runner.training.progress import EpochProgress
from runner.training.settings import TrainSettings


class Session:
    def __init__(
        self, settings: TrainSettings, callbacks: CallbackList, progress: EpochProgress, info: TrainInfo
    ) -> None:
        self.settings = settings
        self.callbacks = callbacks
        self.progress = progress
        self.info = info
        self.epochs: list[dict[str, float]] = []
        self.stop_reason: str | None = None
        self.stop_message: str | None = None
        self.early = (
            EarlyStopping(info.monitor, settings.patience, settings.min_delta)
            if settings.early_stopping
            else None
        )

    def begin(self) -> None:
        self.callbacks.on_train_begin(self.info)

    def start_epoch(self, epoch: int) -> None:
        self.progress.start_epoch(epoch, self.info.steps_per_epoch)

    def advance(self) -> None:
        self.progress.advance()

    def end_epoch(self, epoch: int, metrics: Mapping[str, float]) -> bool:
        """Record the epoch, tell the callbacks; True means stop training now."""
        record = {k: float(metrics[k]) for k in self.info.metrics}
        self.epochs.append(record)
        self.progress.end_epoch(record)
        stop = self.callbacks.on_epoch_end(epoch, record)
        if stop is not None:
            self.stop_reason, self.stop_message = h.CALLBACK, stop
        elif not math.isfinite(record["loss"]):
            self.stop_reason, self.stop_message = h.NON_FINITE, f"loss is {record['loss']} at epoch {epoch}"
        elif self.early is not None and self.early.update(record):
            self.stop_reason, self.stop_message = h.EARLY_STOPPING, self.early.message()
        return self.stop_reason is not None

    def finish(self, model: Any) -> History:
        history = History(
            epochs=self.epochs,
            planned_epochs=self.settings.epochs,
            monitor=self.info.monitor,
            stopped_early=self.stop_reason is not None,
            stop_reason=self.stop_reason,
            stop_message=self.stop_message,
            backend=self.info.backend,
            device=self.info.device,
            seed=self.settings.seed,
            model=model,
        )
        self.callbacks.on_train_end(history)
        return history
