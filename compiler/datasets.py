"""The datasets a program can name (`train { dataset: "digits" }`) and which of them fit a network.

Pure data and pure functions: the compiler checks the name, the language server completes it,
codegen writes the default into the script, and `runner.data` loads it by the same name. Shapes
and class counts are written here so a network can be matched to data without loading any.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from compiler.model import NetworkIR

CLASSIFICATION = "classification"
REGRESSION = "regression"
REGRESSION_LOSSES = frozenset({"mse", "mae", "huber", "log_cosh", "poisson"})
RECURRENT = frozenset({"LSTM", "GRU", "SimpleRNN", "Bidirectional"})


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset loadable by name. shape/classes None: generated to fit the network."""

    name: str
    description: str
    task: str = CLASSIFICATION
    shape: tuple[int, ...] | None = None
    classes: int | None = None


DATASETS: dict[str, DatasetInfo] = {d.name: d for d in (
    DatasetInfo("digits", "8x8x1 handwritten digits, 1,797 samples, 10 classes (scikit-learn)",
                shape=(8, 8, 1), classes=10),
    DatasetInfo("iris", "4 features, 150 samples, 3 classes (scikit-learn, standardised)",
                shape=(4,), classes=3),
    DatasetInfo("wine", "13 features, 178 samples, 3 classes (scikit-learn, standardised)",
                shape=(13,), classes=3),
    DatasetInfo("breast_cancer", "30 features, 569 samples, 2 classes (scikit-learn, standardised)",
                shape=(30,), classes=2),
    DatasetInfo("fashion_mnist", "28x28x1 clothing images, 60,000 samples, 10 classes "
                "(apt package dataset-fashion-mnist)", shape=(28, 28, 1), classes=10),
    DatasetInfo("synthetic_classification",
                "seeded Gaussian blobs, any input shape, as many classes as the output has"),
    DatasetInfo("synthetic_regression", "seeded non-linear regression, any input shape, one target "
                "per output unit", task=REGRESSION),
    DatasetInfo("synthetic_sequence", "seeded sequences, time first: (T,) gives integer token ids "
                "for an Embedding, (T, F) a noisy wave per class"),
)}
DATASET_NAMES: tuple[str, ...] = tuple(DATASETS)


@dataclass(frozen=True)
class Needs:
    """What data a network can train on, read from its input, first layer, output and loss."""

    shape: tuple[int | None, ...]
    task: str
    classes: int | None  # None: not known before the search chooses it
    vocab: int | None  # the Embedding's input_dim when the network starts with one
    sequence: bool  # a recurrent network over (T, F) input

    def config(self) -> dict[str, Any]:
        """The part generated scripts carry in CONFIG so their main() loads fitting data."""
        return {"task": self.task, "num_classes": self.classes, "vocab_size": self.vocab}


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def needs(net: NetworkIR) -> Needs:
    layers = net.layers
    shape = tuple(net.inputs[0]) if net.inputs else ()
    loss = net.loss if isinstance(net.loss, str) else None
    task = REGRESSION if loss in REGRESSION_LOSSES else CLASSIFICATION
    last = layers[-1] if layers else None
    units = _int(last.params.get("units")) if last is not None and last.spec is not None else None
    classes = None
    if task == CLASSIFICATION and units is not None:
        classes = 2 if units == 1 else units
    elif task == REGRESSION:
        classes = units
    first = layers[0] if layers else None
    vocab = None
    if first is not None and first.name == "Embedding":
        vocab = _int(first.params.get("input_dim"))
        vocab = vocab if vocab is not None else 0  # searched: the smallest option is not known here
    sequence = len(shape) >= 2 and any(layer.name in RECURRENT for layer in layers)
    return Needs(shape, task, classes, vocab, sequence)


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def misfit(info: DatasetInfo, n: Needs) -> str | None:
    """Why `info` cannot train a network with these needs, or None when it fits."""
    if info.task != n.task:
        return f"it is a {info.task} set and the loss asks for {n.task}"
    tokens = n.vocab is not None
    if info.name == "synthetic_sequence":
        if tokens and len(n.shape) != 1:
            return f"token ids come shaped (T,), the input is {_fmt(n.shape)}"
        if not tokens and len(n.shape) < 2:
            return "its (T,) samples are token ids and the network has no Embedding first"
        if not tokens and len(n.shape) > 2 and not n.sequence:
            return f"its samples are (T, F) sequences, the input is {_fmt(n.shape)}"
        return None
    if tokens:
        return "its samples are float features, the Embedding needs integer token ids"
    if info.shape is None:
        return None
    if None in n.shape or math.prod(info.shape) != math.prod(n.shape):
        return f"its samples are shaped {_fmt(info.shape)}, the input is {_fmt(n.shape)}"
    if n.classes is not None and info.classes != n.classes:
        return f"it has {info.classes} classes, the output has {n.classes}"
    return None


def fitting(net: NetworkIR) -> list[str]:
    """Every dataset that fits the network, the one to prefer first."""
    n = needs(net)
    order = list(DATASETS)
    if n.sequence or n.vocab is not None:  # sequence data first for recurrent and token networks
        order.remove("synthetic_sequence")
        order.insert(0, "synthetic_sequence")
    return [name for name in order if misfit(DATASETS[name], n) is None]


def default_dataset(net: NetworkIR) -> str | None:
    """What a program trains on: its `train.dataset`, else the first that fits (None: none fits)."""
    named = net.train.get("dataset")
    if isinstance(named, str) and named in DATASETS:
        return named
    fits = fitting(net)
    return fits[0] if fits else None
