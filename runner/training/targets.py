"""How the dataset's labels are handed to the loss, and how accuracy is counted, from the loss name.

Datasets hold class indices (classification) or (N, k) floats (regression); the loss decides the
form: `index` (sparse categorical), `onehot` (categorical), `binary` (0/1 per output unit) or
`value` (regression losses: targets as they are, or one-hot/0-1 when the labels are classes).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from runner.data import CLASSIFICATION, Dataset
from runner.training.errors import TrainingError

INDEX, ONEHOT, BINARY, VALUE = "index", "onehot", "binary", "value"

# Loss names normalised by _key(): Keras function and class names, a few PyTorch names.
TARGET_FORMATS: dict[str, str] = {
    "sparsecategoricalcrossentropy": INDEX,
    "crossentropy": INDEX,
    "crossentropyloss": INDEX,
    "nll": INDEX,
    "nllloss": INDEX,
    "categoricalcrossentropy": ONEHOT,
    "categoricalfocalcrossentropy": ONEHOT,
    "categoricalhinge": ONEHOT,
    "kldivergence": ONEHOT,
    "kld": ONEHOT,
    "kullbackleiblerdivergence": ONEHOT,
    "binarycrossentropy": BINARY,
    "binaryfocalcrossentropy": BINARY,
    "bce": BINARY,
    "bceloss": BINARY,
    "bcewithlogitsloss": BINARY,
    "hinge": BINARY,
    "squaredhinge": BINARY,
    **{
        name: VALUE
        for name in (
            "mse", "meansquarederror", "mseloss", "mae", "meanabsoluteerror", "l1loss", "huber",
            "huberloss", "smoothl1loss", "logcosh", "msle", "meansquaredlogarithmicerror", "mape",
            "meanabsolutepercentageerror", "poisson", "cosinesimilarity",
        )
    },
}


def _key(loss: str) -> str:
    return re.sub(r"[^a-z0-9]", "", loss.lower())


def target_format(loss: str, task: str) -> str:
    """Unknown loss names fall back to the dataset's own form (indices, or values)."""
    return TARGET_FORMATS.get(_key(loss), INDEX if task == CLASSIFICATION else VALUE)


@dataclass(frozen=True)
class Targets:
    train: np.ndarray
    val: np.ndarray | None
    form: str
    accuracy: str | None  # "argmax", "binary" (output > 0.5) or None for regression


def encode_targets(
    ds: Dataset, y_train: np.ndarray, y_val: np.ndarray | None, loss: str, out_shape: tuple[int, ...]
) -> Targets:
    """Check the labels fit the network's output (shape without batch axis), then encode them."""
    form = target_format(loss, ds.task)
    units = math.prod(out_shape) if out_shape else 1
    what = f"dataset {ds.name!r}"
    if ds.task != CLASSIFICATION:
        if form != VALUE:
            raise TrainingError(
                f"loss {loss!r} needs class labels, but {what} is a regression set "
                f"(targets shaped {ds.y.shape[1:]}); use a regression loss such as 'mse'"
            )
        if ds.y.shape[1] != units:
            raise TrainingError(
                f"{what} has {ds.y.shape[1]} target value(s) per sample but the network's output "
                f"is shaped {out_shape}"
            )
        def shaped(y: np.ndarray) -> np.ndarray:
            return y.reshape((len(y), *out_shape))

        return Targets(shaped(y_train), None if y_val is None else shaped(y_val), VALUE, None)

    k = ds.num_classes or 0
    if len(out_shape) > 1:
        raise TrainingError(
            f"{what} has one class label per sample but the network's output is shaped {out_shape}; "
            "end the network with a Dense/Output layer of one unit per class"
        )
    if units == 1:
        if form in (INDEX, ONEHOT) or k > 2:
            raise TrainingError(
                f"{what} has {k} classes but the network's output has 1 unit"
                + (f" (loss {loss!r} needs one unit per class)" if k <= 2 else "")
            )

        def zero_one(y: np.ndarray) -> np.ndarray:
            return y.astype(np.float32).reshape((len(y), *out_shape))

        return Targets(zero_one(y_train), None if y_val is None else zero_one(y_val), BINARY, "binary")
    if k > units:
        raise TrainingError(f"{what} has {k} classes but the network's output has {units} units")
    if form == INDEX:
        return Targets(y_train, y_val, INDEX, "argmax")
    eye = np.eye(units, dtype=np.float32)
    return Targets(eye[y_train], None if y_val is None else eye[y_val], form, "argmax")
