"""Datasets that ship inside scikit-learn: real data, no download, loaded in milliseconds.

The files are read where scikit-learn keeps them, without importing it: its import takes
about a second (pandas, scipy.stats), a third of a small run's start-up, and the files are
plain CSV (sklearn.datasets.load_csv_data's format: a header `n_samples,n_features,names...`,
then one row per sample ending in its class). If a file is not where this expects it, the
scikit-learn loader is used.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from runner.data.dataset import CLASSIFICATION, DataError, Dataset, make_dataset

# name -> the file in sklearn/datasets/data/
FILES = {"digits": "digits.csv.gz", "iris": "iris.csv", "wine": "wine_data.csv",
         "breast_cancer": "breast_cancer.csv"}


def _data_file(name: str) -> Path | None:
    """sklearn/datasets/data/<file> of the installed scikit-learn, found without importing it."""
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / FILES[name]
    return path if path.is_file() else None


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(data, target, target_names) as sklearn's loaders return them; None if the file is not
    in that format."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            if path.suffix == ".gz":  # digits: no header, the class is the last column
                table = np.loadtxt(f, delimiter=",")
                return table[:, :-1], table[:, -1].astype(int, copy=False), np.arange(10)
            rows = csv.reader(f)
            head = next(rows)
            n, k = int(head[0]), int(head[1])
            table = np.array([r for r in rows if r], dtype=np.float64)
    except (OSError, ValueError, StopIteration, IndexError, EOFError):
        return None
    if table.shape != (n, k + 1):
        return None
    return table[:, :k], table[:, k].astype(int), np.array(head[2:])


def _bundle(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(data, target, target_names) of a bundled set: read directly, else via scikit-learn."""
    path = _data_file(name)
    got = _read_csv(path) if path is not None else None
    if got is not None:
        return got
    bunch = _sklearn_loader(name)()
    return bunch.data, bunch.target, bunch.target_names


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
    data, target, _ = _bundle("digits")
    x = (data.reshape(-1, 8, 8) / 16.0)[..., np.newaxis]
    return make_dataset(x, target, name="digits", task=CLASSIFICATION, num_classes=10)


def _tabular(name: str) -> Dataset:
    data, target, names = _bundle(name)
    return make_dataset(
        _standardise(data.astype(np.float64)),
        target,
        name=name,
        task=CLASSIFICATION,
        num_classes=len(names),
        class_names=tuple(str(n) for n in names),
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
