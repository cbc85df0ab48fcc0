"""The value every loader returns, and the one error every loader raises."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)


class DataError(ValueError):
    """A dataset cannot be found, read or fitted to the network: the message says which and why."""


@dataclass(frozen=True)
class Dataset:
    """Samples in memory, ready for either backend.

    x: float32, shape (N, *input_shape), channels-last like the DSL.
    y: classification -> int64 class indices, shape (N,);
       regression -> float32, shape (N, k) with k >= 1 (2-D so it lines up with a Dense(k) output).
    num_classes: None for regression.
    class_names: the original labels when they were not already 0..K-1 integers (e.g. CSV strings).
    """

    x: np.ndarray
    y: np.ndarray
    num_classes: int | None
    input_shape: tuple[int, ...]
    name: str
    task: str
    class_names: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __repr__(self) -> str:  # arrays would flood a traceback or a log line
        classes = f", num_classes={self.num_classes}" if self.num_classes is not None else ""
        return (
            f"Dataset(name={self.name!r}, task={self.task!r}, samples={len(self)}, "
            f"input_shape={self.input_shape}{classes})"
        )


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    *,
    name: str,
    task: str,
    num_classes: int | None = None,
    class_names: tuple[str, ...] | None = None,
) -> Dataset:
    """Normalise dtypes and shapes once, so no loader has to remember the conventions."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if task == CLASSIFICATION:
        y = np.asarray(y).reshape(-1).astype(np.int64)
        if num_classes is None:
            num_classes = int(y.max()) + 1 if y.size else 0
    elif task == REGRESSION:
        y = np.asarray(y, dtype=np.float32)
        y = y.reshape(len(y), -1)
        num_classes = None
    else:
        raise DataError(f"unknown task {task!r} for dataset {name!r}; use one of {', '.join(TASKS)}")
    if len(x) != len(y):
        raise DataError(f"dataset {name!r}: {len(x)} samples but {len(y)} labels")
    if len(x) == 0:
        raise DataError(f"dataset {name!r} holds no samples")
    return Dataset(
        x=x,
        y=y,
        num_classes=num_classes,
        input_shape=tuple(int(d) for d in x.shape[1:]),
        name=name,
        task=task,
        class_names=class_names,
    )


def subsample(ds: Dataset, num_samples: int | None, seed: int) -> Dataset:
    """A seeded random subset (same seed, same subset) for quick runs on big sets."""
    if num_samples is None or num_samples >= len(ds):
        return ds
    if num_samples <= 0:
        raise DataError(f"num_samples must be positive, got {num_samples}")
    idx = np.sort(np.random.default_rng(seed).permutation(len(ds))[:num_samples])
    return Dataset(
        x=ds.x[idx],
        y=ds.y[idx],
        num_classes=ds.num_classes,
        input_shape=ds.input_shape,
        name=ds.name,
        task=ds.task,
        class_names=ds.class_names,
    )
