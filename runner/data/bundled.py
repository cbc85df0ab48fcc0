"""Datasets that ship inside scikit-learn: real data, no download, loaded in milliseconds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from runner.data.dataset import CLASSIFICATION, DataError, Dataset, make_dataset


def _sklearn_loader(name: str) -> Callable[..., Any]:
    try:
        from sklearn import datasets
    except ImportError as exc:  # the base install has no numpy/sklearn
        raise DataError(
            f"dataset {name!r} comes from scikit-learn, which is not installed: "
            "pip install 'neural-dsl[data]'"
        ) from exc
    return getattr(datasets, f"load_{name}")


def _standardise(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per feature (constant features stay 0): what an MLP expects."""
    std = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)


def load_digits() -> Dataset:
    """1,797 real 8x8 handwritten digits, pixel values 0..16 scaled to [0, 1], shaped (8, 8, 1)."""
    bunch = _sklearn_loader("digits")()
    x = (bunch.images / 16.0)[..., np.newaxis]
    return make_dataset(x, bunch.target, name="digits", task=CLASSIFICATION, num_classes=10)


def _tabular(name: str) -> Dataset:
    bunch = _sklearn_loader(name)()
    return make_dataset(
        _standardise(bunch.data.astype(np.float64)),
        bunch.target,
        name=name,
        task=CLASSIFICATION,
        num_classes=len(bunch.target_names),
        class_names=tuple(str(n) for n in bunch.target_names),
    )


def load_iris() -> Dataset:
    """150 x 4 features, 3 classes (standardised)."""
    return _tabular("iris")


def load_wine() -> Dataset:
    """178 x 13 features, 3 classes (standardised)."""
    return _tabular("wine")


def load_breast_cancer() -> Dataset:
    """569 x 30 features, 2 classes (standardised)."""
    return _tabular("breast_cancer")
