"""User data files: `.npz` (arrays) and `.csv` (a header row and a label column).

Whether labels are classes or regression targets follows how they are stored: integers, booleans
and strings are classes; floats are targets (a one-hot float matrix is classes). `task=` overrides.
"""

from __future__ import annotations

import csv
import math
import zipfile
from pathlib import Path

import numpy as np

from runner.data.dataset import CLASSIFICATION, REGRESSION, TASKS, DataError, Dataset, make_dataset

# Array names tried in order: the first pair present in the file is used.
NPZ_KEYS: tuple[tuple[str, str], ...] = (
    ("x", "y"),
    ("X", "Y"),
    ("X", "y"),
    ("features", "labels"),
    ("x_train", "y_train"),  # keras.datasets caches
    ("X_train", "y_train"),
)
DEFAULT_LABEL_COLUMN = "label"


def _is_one_hot(y: np.ndarray) -> bool:
    return y.ndim == 2 and y.shape[1] > 1 and bool(np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all())


def encode_labels(
    y: np.ndarray, where: str
) -> tuple[np.ndarray, int, tuple[str, ...] | None]:
    """Class labels -> (indices, num_classes, class_names).

    Non-negative integers are kept as they are (so class 3 stays class 3 even if class 2 is absent);
    anything else (strings, negative numbers) is mapped to 0..K-1 in sorted order, names kept.
    """
    if _is_one_hot(y):
        return y.argmax(axis=1), y.shape[1], None
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"{where}: class labels must be one per sample, got labels shaped {y.shape}")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not (y == np.round(y)).all():
            raise DataError(
                f"{where}: labels are not whole numbers, so they cannot be classes; "
                "use task='regression' for continuous targets"
            )
        y = y.astype(np.int64)
    if y.dtype.kind in "iub" and (y.size == 0 or y.min() >= 0):
        y = y.astype(np.int64)
        return y, int(y.max()) + 1 if y.size else 0, None
    names, idx = np.unique(y, return_inverse=True)
    return idx.astype(np.int64), len(names), tuple(str(n) for n in names)


def _build(x: np.ndarray, y: np.ndarray, *, name: str, task: str | None, where: str) -> Dataset:
    if x.dtype.kind not in "iufb":
        raise DataError(f"{where}: features must be numbers, got dtype {x.dtype}")
    if x.ndim == 1:
        x = x[:, np.newaxis]
    if len(x) != len(y):
        raise DataError(f"{where}: {len(x)} samples but {len(y)} labels")
    if task is None:
        task = CLASSIFICATION if (y.dtype.kind in "iubUS" or _is_one_hot(y)) else REGRESSION
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    if task == CLASSIFICATION:
        y, k, names = encode_labels(y, where)
        return make_dataset(x, y, name=name, task=task, num_classes=k, class_names=names)
    if y.dtype.kind not in "iufb":
        raise DataError(f"{where}: regression targets must be numbers, got dtype {y.dtype}")
    return make_dataset(x, y, name=name, task=task)


def load_npz(path: Path, *, name: str | None = None, task: str | None = None) -> Dataset:
    """Arrays `x`/`y` (or `X`/`Y`, `features`/`labels`, `x_train`/`y_train`) from an .npz file."""
    where = str(path)
    if not zipfile.is_zipfile(path):  # np.load would read other bytes as a pickle and say so
        raise DataError(f"{where} is not a readable .npz file (not a zip archive of arrays)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = set(npz.files)
            pair = next(((a, b) for a, b in NPZ_KEYS if a in keys and b in keys), None)
            if pair is None:
                wanted = ", ".join(f"{a}/{b}" for a, b in NPZ_KEYS)
                raise DataError(
                    f"{where} holds arrays {sorted(keys) or 'none'}; expected a pair named {wanted}"
                )
            x, y = npz[pair[0]], npz[pair[1]]
    except DataError:
        raise
    except ValueError as exc:  # object arrays need pickle, which we never allow
        raise DataError(f"{where}: cannot read arrays without pickle ({exc}); save numeric arrays") from exc
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{where} is not a readable .npz file: {exc}") from exc
    return _build(x, y, name=name or path.name, task=task, where=where)


def _number(cell: str) -> float | None:
    """The cell as a finite float, or None (text, 'nan', 'inf')."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _looks_like_header(first: list[str], second: list[str] | None) -> bool:
    """A header has no number at all, or has a text cell above a number."""
    if all(_number(c) is None for c in first):
        return True
    return second is not None and any(
        _number(a) is None and _number(b) is not None for a, b in zip(first, second, strict=False)
    )


def _label_array(cells: list[str]) -> np.ndarray:
    try:
        return np.array([int(c) for c in cells], dtype=np.int64)
    except ValueError:
        pass
    try:
        return np.array([float(c) for c in cells], dtype=np.float64)
    except ValueError:
        return np.array(cells)


def load_csv(
    path: Path, *, label: str | None = None, name: str | None = None, task: str | None = None
) -> Dataset:
    """Numeric feature columns plus one label column: `label` by name, default `label`, else the last."""
    where = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{where} is not a readable CSV file: {exc}") from exc
    if not rows:
        raise DataError(f"{where} is empty")
    rows = [[cell.strip() for cell in row] for row in rows]
    has_header = _looks_like_header(rows[0], rows[1] if len(rows) > 1 else None)
    header = rows[0] if has_header else [f"column {i + 1}" for i in range(len(rows[0]))]
    body = rows[1:] if has_header else rows
    if not body:
        raise DataError(f"{where} has a header but no data rows")
    if len(header) < 2:
        raise DataError(f"{where} needs at least one feature column and a label column")
    if label is not None:
        if not has_header:
            raise DataError(f"{where} has no header row, so there is no column named {label!r}")
        if label not in header:
            raise DataError(f"{where} has no column {label!r}; columns: {', '.join(header)}")
        col = header.index(label)
    else:
        col = header.index(DEFAULT_LABEL_COLUMN) if DEFAULT_LABEL_COLUMN in header else len(header) - 1
    first_line = 2 if has_header else 1
    features, labels = [], []
    for n, row in enumerate(body, start=first_line):
        if len(row) != len(header):
            raise DataError(f"{where}, line {n}: {len(row)} cells but the header has {len(header)}")
        values = []
        for i, cell in enumerate(row):
            if i == col:
                continue
            if cell == "":
                raise DataError(f"{where}, line {n}: missing value in column {header[i]!r}")
            value = _number(cell)
            if value is None:
                raise DataError(f"{where}, line {n}: column {header[i]!r} holds {cell!r}, not a number")
            values.append(value)
        if row[col] == "":
            raise DataError(f"{where}, line {n}: missing label in column {header[col]!r}")
        features.append(values)
        labels.append(row[col])
    return _build(
        np.array(features, dtype=np.float64), _label_array(labels), name=name or path.name, task=task, where=where
    )
