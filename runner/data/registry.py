"""Datasets by name or file, with no downloads: one table says what exists and where it comes from."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.datasets import DATASETS
from runner.data import bundled, files, idx, synthetic
from runner.data.dataset import DataError, Dataset, subsample
from runner.data.shapes import fit_to_input


@dataclass(frozen=True)
class Builtin:
    load: Callable[[], Dataset]
    description: str


_LOADERS: dict[str, Callable[[], Dataset]] = {
    "digits": bundled.load_digits,
    "iris": bundled.load_iris,
    "wine": bundled.load_wine,
    "breast_cancer": bundled.load_breast_cancer,
    "fashion_mnist": idx.load_fashion_mnist,
}
# Names and descriptions have one home, compiler.datasets (the compiler checks the names).
BUILTIN: dict[str, Builtin] = {k: Builtin(load, DATASETS[k].description) for k, load in _LOADERS.items()}
SYNTHETIC: dict[str, str] = {k: d.description for k, d in DATASETS.items() if d.name.startswith("synthetic_")}
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


def load_for(
    source: str | os.PathLike[str] | None,
    *,
    input_shape: Sequence[int | None],
    needs: Mapping[str, Any],
    num_samples: int | None = None,
    seed: int = 0,
) -> Dataset:
    """Data for one network: `needs` is `compiler.datasets.Needs.config()` plus `fits`, the names
    that fit it. Synthetic sets are generated to fit; any other set that does not fit is a
    DataError that names what differs and the datasets that would fit."""
    fits = list(needs.get("fits") or ())
    also = f"; datasets that fit this network: {', '.join(fits)}" if fits else ""
    if source is None:
        raise DataError("no bundled dataset fits this network (see `train.dataset`); "
                        "give --data FILE (.npz with arrays x, y, or .csv with a label column)")
    task = needs.get("task")
    classes = needs.get("num_classes")
    kwargs: dict[str, Any] = {}
    name = _canonical(os.fspath(source))
    if name in SYNTHETIC:
        kwargs["num_samples"] = num_samples or 512
        kwargs["seed"] = seed
        if task == "regression":
            kwargs["task"] = "regression"
            kwargs["output_dim"] = classes or 1
        elif classes:
            kwargs["num_classes"] = classes
        vocab = needs.get("vocab_size")
        if vocab:
            kwargs["vocab_size"] = min(vocab, synthetic.DEFAULT_VOCAB)
    elif num_samples:
        kwargs["num_samples"] = num_samples
    try:
        ds = load_dataset(source, input_shape=input_shape, reshape=True, **kwargs)
    except DataError as exc:
        raise DataError(f"{exc}{also}") from None
    vocab = needs.get("vocab_size")
    if vocab is not None and not _token_ids(ds, vocab):
        limit = f" below {vocab}" if vocab else ""
        raise DataError(f"dataset {ds.name!r} does not hold integer token ids{limit}, and the network "
                        f"starts with an Embedding{also}")
    if task is not None and ds.task != task:
        raise DataError(f"dataset {ds.name!r} is a {ds.task} set but the network's loss is for "
                        f"{task}{also}")
    if ds.task == "classification" and classes and ds.num_classes != classes:
        raise DataError(f"dataset {ds.name!r} has {ds.num_classes} classes but the network's output "
                        f"has {classes if classes > 2 else '1 or 2'} units{also}")
    return ds


def _token_ids(ds: Dataset, vocab: int) -> bool:
    """Whole numbers in [0, vocab) (vocab 0: searched, so any non-negative whole numbers)."""
    import numpy as np

    x = ds.x
    return bool(x.size == 0 or (np.all(x >= 0) and np.all(x == np.round(x)) and (not vocab or x.max() < vocab)))
