"""Datasets by name or file, with no downloads: one table says what exists and where it comes from."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from runner.data import bundled, files, idx, synthetic
from runner.data.dataset import DataError, Dataset, subsample
from runner.data.shapes import fit_to_input


@dataclass(frozen=True)
class Builtin:
    load: Callable[[], Dataset]
    description: str


BUILTIN: dict[str, Builtin] = {
    "digits": Builtin(bundled.load_digits, "8x8x1 handwritten digits, 1,797 samples, 10 classes (scikit-learn)"),
    "iris": Builtin(bundled.load_iris, "4 features, 150 samples, 3 classes (scikit-learn, standardised)"),
    "wine": Builtin(bundled.load_wine, "13 features, 178 samples, 3 classes (scikit-learn, standardised)"),
    "breast_cancer": Builtin(
        bundled.load_breast_cancer, "30 features, 569 samples, 2 classes (scikit-learn, standardised)"
    ),
    "fashion_mnist": Builtin(
        idx.load_fashion_mnist,
        "28x28x1 clothing images, 60,000 samples, 10 classes (apt package dataset-fashion-mnist)",
    ),
}
SYNTHETIC: dict[str, str] = {
    "synthetic_classification": "seeded Gaussian blobs, any input shape, num_classes classes",
    "synthetic_regression": "seeded non-linear regression, any input shape, output_dim targets",
    "synthetic_sequence": "seeded sequences (time first; (T,) gives token ids), num_classes classes",
}
ALIASES = {
    "synthetic": "synthetic_classification",
    "fashionmnist": "fashion_mnist",
    "breastcancer": "breast_cancer",
}
FILE_LOADERS = {".npz": "npz", ".csv": "csv"}


def available_datasets() -> dict[str, str]:
    """Name -> one-line description of every dataset loadable by name."""
    return {**{k: b.description for k, b in BUILTIN.items()}, **SYNTHETIC}


def _names() -> str:
    return ", ".join(available_datasets())


def _canonical(name: str) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    return ALIASES.get(key, key)


def _load_file(path: Path, *, label: str | None, task: str | None) -> Dataset:
    suffix = path.suffix.lower()
    if suffix not in FILE_LOADERS:
        raise DataError(f"{path}: unsupported data file type {suffix or '(none)'!r}; use .npz or .csv")
    if not path.is_file():
        raise DataError(f"data file {path} does not exist")
    if suffix == ".npz":
        if label is not None:
            raise DataError(f"{path}: a label column only applies to .csv files")
        return files.load_npz(path, task=task)
    return files.load_csv(path, label=label, task=task)


def _load_synthetic(
    name: str,
    *,
    input_shape: Sequence[int | None] | None,
    num_classes: int | None,
    num_samples: int | None,
    seed: int,
    output_dim: int,
    vocab_size: int,
) -> Dataset:
    n = synthetic.DEFAULT_SAMPLES if num_samples is None else num_samples
    k = 2 if num_classes is None else num_classes
    if name == "synthetic_classification":
        return synthetic.synthetic_classification(input_shape, k, n, seed)
    if name == "synthetic_regression":
        return synthetic.synthetic_regression(input_shape, output_dim, n, seed)
    return synthetic.synthetic_sequence(input_shape, k, n, seed, vocab_size)


def load_dataset(
    source: str | os.PathLike[str],
    *,
    input_shape: Sequence[int | None] | None = None,
    reshape: bool = False,
    num_samples: int | None = None,
    seed: int = 0,
    num_classes: int | None = None,
    task: str | None = None,
    label: str | None = None,
    output_dim: int = 1,
    vocab_size: int = synthetic.DEFAULT_VOCAB,
) -> Dataset:
    """Load a dataset by name (see `available_datasets()`) or from a .npz/.csv file.

    input_shape: the network's input (channels-last, no batch axis). Synthetic sets are generated
        in it; any other set must already have it (or the same element count with reshape=True),
        else a DataError names both shapes.
    num_samples: synthetic sets generate this many; other sets keep a seeded random subset.
    num_classes / output_dim / vocab_size: synthetic sets only.
    task: 'classification' or 'regression', overriding what a file's label dtype suggests.
    label: the CSV label column (default `label`, else the last column).
    """
    text = os.fspath(source)
    path = Path(text).expanduser()
    name = _canonical(text)
    known = name in SYNTHETIC or name in BUILTIN or name == "mnist"
    is_file = isinstance(source, os.PathLike) or path.suffix.lower() in FILE_LOADERS or (
        not known and path.is_file()
    )
    if is_file:
        ds = _load_file(path, label=label, task=task)
    elif name in SYNTHETIC:
        ds = _load_synthetic(
            name, input_shape=input_shape, num_classes=num_classes, num_samples=num_samples,
            seed=seed, output_dim=output_dim, vocab_size=vocab_size,
        )
    elif name in BUILTIN:
        ds = BUILTIN[name].load()
        if task is not None and task != ds.task:
            raise DataError(f"dataset {name!r} is a {ds.task} set, not {task}")
    elif name == "mnist":
        ds = idx.load_mnist(_names())
    else:
        raise DataError(
            f"unknown dataset {text!r}; available offline: {_names()}; "
            "or give a .npz file (arrays x, y) or a .csv file (with a label column)"
        )
    if label is not None and not is_file:
        raise DataError(f"a label column only applies to .csv files, not dataset {name!r}")
    ds = subsample(ds, None if name in SYNTHETIC else num_samples, seed)
    return ds if input_shape is None else fit_to_input(ds, input_shape, reshape=reshape)
