"""Datasets for training, with no downloads: bundled sets by name, synthetic sets, user files.

    load_dataset("digits", input_shape=(8, 8, 1)) -> Dataset(x, y, num_classes, input_shape, ...)

Every failure (missing package, bad file, shape that does not fit the network) is a `DataError`
with a message meant for the user. numpy is needed; scikit-learn only for its bundled sets.
"""

from __future__ import annotations

from runner.data.dataset import CLASSIFICATION, REGRESSION, DataError, Dataset
from runner.data.registry import available_datasets, load_dataset, load_for
from runner.data.shapes import fit_to_input

__all__ = [
    "CLASSIFICATION",
    "REGRESSION",
    "DataError",
    "Dataset",
    "available_datasets",
    "fit_to_input",
    "load_dataset",
    "load_for",
]
