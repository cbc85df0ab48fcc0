"""The validation split: a seeded shuffle, then the last fraction is held out (same on both backends)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runner.training.errors import TrainingError


@dataclass(frozen=True)
class Split:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None

    @property
    def val_samples(self) -> int:
        return 0 if self.x_val is None else len(self.x_val)


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float, seed: int) -> Split:
    """Hold out round(N * fraction) samples, at least one, leaving at least one to train on."""
    n = len(x)
    if fraction <= 0:
        return Split(x, y, None, None)
    n_val = max(1, round(n * fraction))
    if n - n_val < 1:
        raise TrainingError(
            f"validation_split={fraction:g} of {n} samples leaves nothing to train on"
        )
    order = np.random.default_rng(seed).permutation(n)
    train, val = np.sort(order[: n - n_val]), np.sort(order[n - n_val :])
    return Split(x[train], y[train], x[val], y[val])
