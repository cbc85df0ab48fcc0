"""What a training run returns: every epoch's metrics and how the run ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# stop_reason values
COMPLETED = None
EARLY_STOPPING = "early_stopping"
CALLBACK = "callback"
NON_FINITE = "non_finite_loss"


@dataclass
class History:
    """epochs[i] holds the metrics of epoch i + 1 (loss, accuracy, val_loss, val_accuracy, epoch_time).

    best_epoch is the epoch with the lowest `monitor` value (val_loss, or loss without validation).
    stopped_early is True when something asked training to stop (possibly at the last planned
    epoch); stop_reason says what ("early_stopping", "callback" or "non_finite_loss") and
    stop_message says it in words. Both are None when the run simply used all its epochs.
    """

    epochs: list[dict[str, float]]
    planned_epochs: int
    monitor: str
    stopped_early: bool
    stop_reason: str | None
    stop_message: str | None
    backend: str
    device: str
    seed: int
    model: Any = field(default=None, repr=False, compare=False)

    @property
    def final(self) -> dict[str, float]:
        return dict(self.epochs[-1]) if self.epochs else {}

    @property
    def best_epoch(self) -> int | None:
        values = self.series(self.monitor)
        finite = [(v, i) for i, v in enumerate(values, start=1) if v == v and abs(v) != float("inf")]
        return min(finite)[1] if finite else None

    @property
    def best(self) -> dict[str, float]:
        epoch = self.best_epoch
        return dict(self.epochs[epoch - 1]) if epoch else {}

    def series(self, name: str) -> list[float]:
        """One metric across epochs, e.g. series("val_accuracy")."""
        return [m[name] for m in self.epochs if name in m]
