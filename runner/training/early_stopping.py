"""Early stopping with Keras' rule, shared by both backends so they stop at the same epoch.

An epoch improves when monitor < best - min_delta; after `patience` epochs in a row without an
improvement, training stops (patience 0 and 1 both stop at the first epoch that does not improve).
"""

from __future__ import annotations

import math


class EarlyStopping:
    def __init__(self, monitor: str, patience: int, min_delta: float) -> None:
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.wait = 0

    def update(self, metrics: dict[str, float]) -> bool:
        """Record one epoch; True means stop now."""
        value = metrics[self.monitor]
        if value < self.best - self.min_delta:
            self.best = value
            self.wait = 0
            return False
        self.wait += 1
        return self.wait >= self.patience

    def message(self) -> str:
        return (
            f"{self.monitor} did not improve by more than {self.min_delta:g} "
            f"for {self.wait} epoch{'s' if self.wait != 1 else ''} (patience {self.patience})"
        )
