"""One callback interface for everything that watches training: tracking, HPO pruning, the TUI.

Epochs are numbered from 1. To stop training, a callback raises `StopTraining` from
`on_epoch_end`: the run then ends cleanly after that epoch (every callback still gets that
epoch, then `on_train_end` with the History, whose stop_reason is "callback"). Return values are
not a stop signal: returning anything but None is a TypeError, so a pruner that returns True by
mistake cannot be silently ignored. Any other exception aborts training and propagates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.training.history import History


class StopTraining(Exception):  # noqa: N818 - a request, not an error
    """Raised by a callback to end training after the current epoch (e.g. an HPO pruner)."""

    def __init__(self, message: str = "stopped by a callback") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TrainInfo:
    """What a run is about to do; given to `on_train_begin` (e.g. for a tracker to log params)."""

    backend: str
    device: str
    network: str
    dataset: str
    epochs: int
    batch_size: int
    steps_per_epoch: int
    train_samples: int
    val_samples: int
    seed: int
    monitor: str
    metrics: tuple[str, ...]  # the keys every epoch's metrics dict will hold


class TrainingCallback:
    """Override any of the three hooks; the defaults do nothing."""

    def on_train_begin(self, info: TrainInfo) -> None:
        """Called once, after the model is built and before the first epoch."""

    def on_epoch_end(self, epoch: int, metrics: Mapping[str, float]) -> None:
        """Called after every epoch with loss, accuracy, val_loss, val_accuracy, epoch_time.

        Raise StopTraining to end the run after this epoch.
        """

    def on_train_end(self, history: History) -> None:
        """Called once when training ends normally (all epochs, early stopping or StopTraining)."""


class CallbackList:
    """Calls every callback in order; collects a stop request instead of cutting the others off."""

    def __init__(self, callbacks: Iterable[TrainingCallback]) -> None:
        self.callbacks = list(callbacks)

    def on_train_begin(self, info: TrainInfo) -> None:
        for cb in self.callbacks:
            cb.on_train_begin(info)

    def on_epoch_end(self, epoch: int, metrics: Mapping[str, float]) -> str | None:
        """Returns the first StopTraining message, or None when no callback asked to stop."""
        stop = None
        for cb in self.callbacks:
            try:
                result = cb.on_epoch_end(epoch, dict(metrics))
            except StopTraining as request:
                stop = stop or request.message
                continue
            if result is not None:
                raise TypeError(
                    f"{type(cb).__name__}.on_epoch_end returned {result!r}; callbacks return None "
                    "and raise runner.training.StopTraining to stop training"
                )
        return stop

    def on_train_end(self, history: History) -> None:
        for cb in self.callbacks:
            cb.on_train_end(history)
