"""Seeded generated sets of any shape: for shape checks, CI speed and HPO smoke runs.

Each is learnable (a model can beat chance) but not trivial; the same seed gives the same arrays.
A `None` axis in the requested shape (a variable-length sequence) is generated with length 16.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from runner.data.dataset import CLASSIFICATION, REGRESSION, DataError, Dataset, make_dataset

DEFAULT_SHAPES = {"classification": (20,), "regression": (20,), "sequence": (20, 4)}
DEFAULT_SAMPLES = 1000
DEFAULT_VOCAB = 50
VARIABLE_AXIS = 16


def _shape(input_shape: Sequence[int | None] | None, kind: str) -> tuple[int, ...]:
    shape = tuple(VARIABLE_AXIS if d is None else int(d) for d in (input_shape or DEFAULT_SHAPES[kind]))
    if not shape or any(d <= 0 for d in shape):
        raise DataError(f"synthetic_{kind}: cannot generate samples shaped {shape}")
    return shape


def _check(num_samples: int, num_classes: int | None = None) -> None:
    if num_samples <= 0:
        raise DataError(f"num_samples must be positive, got {num_samples}")
    if num_classes is not None and num_classes < 2:
        raise DataError(f"a classification set needs at least 2 classes, got {num_classes}")


def synthetic_classification(
    input_shape: Sequence[int | None] | None = None,
    num_classes: int = 2,
    num_samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Dataset:
    """Gaussian blobs (unit noise) around one random centre per class, centres ~4 apart in any dimension."""
    shape = _shape(input_shape, "classification")
    _check(num_samples, num_classes)
    rng = np.random.default_rng(seed)
    dim = math.prod(shape)
    centres = rng.normal(size=(num_classes, dim)) * (4.0 / math.sqrt(2 * dim))
    y = rng.permutation(np.arange(num_samples) % num_classes)
    x = centres[y] + rng.normal(size=(num_samples, dim))  # unit noise: ~2% Bayes error per pair
    return make_dataset(
        x.reshape((num_samples, *shape)), y, name="synthetic_classification", task=CLASSIFICATION,
        num_classes=num_classes,
    )


def synthetic_regression(
    input_shape: Sequence[int | None] | None = None,
    output_dim: int = 1,
    num_samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Dataset:
    """y = a random linear map of x plus a mild non-linearity and noise; targets shaped (N, output_dim)."""
    shape = _shape(input_shape, "regression")
    _check(num_samples)
    if output_dim <= 0:
        raise DataError(f"output_dim must be positive, got {output_dim}")
    rng = np.random.default_rng(seed)
    dim = math.prod(shape)
    x = rng.normal(size=(num_samples, dim))
    w = rng.normal(size=(dim, output_dim)) / math.sqrt(dim)
    v = rng.normal(size=(dim, output_dim)) / math.sqrt(dim)
    y = x @ w + 0.3 * np.sin(2.0 * (x @ v)) + 0.05 * rng.normal(size=(num_samples, output_dim))
    return make_dataset(x.reshape((num_samples, *shape)), y, name="synthetic_regression", task=REGRESSION)


def synthetic_sequence(
    input_shape: Sequence[int | None] | None = None,
    num_classes: int = 2,
    num_samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    vocab_size: int = DEFAULT_VOCAB,
) -> Dataset:
    """Sequence classification, time on the first axis.

    Shape (T,): token ids (as floats, for an Embedding) in [0, vocab_size); class c plants token
    c + 1 in about a quarter of the positions. Shape (T, ...): a noisy sine wave whose frequency is
    c + 1 cycles per sequence, mixed into the feature axes with random weights.
    """
    shape = _shape(input_shape, "sequence")
    _check(num_samples, num_classes)
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(num_samples) % num_classes)
    steps = shape[0]
    if len(shape) == 1:
        if vocab_size < 2 * num_classes + 2:
            raise DataError(f"vocab_size {vocab_size} is too small for {num_classes} classes")
        x = rng.integers(num_classes + 1, vocab_size, size=(num_samples, steps))
        planted = rng.random(size=(num_samples, steps)) < 0.25
        x = np.where(planted, (y + 1)[:, np.newaxis], x)
    else:
        t = np.arange(steps) / steps
        phase = rng.uniform(0, 2 * np.pi, size=(num_samples, 1))
        wave = np.sin(2 * np.pi * (y + 1)[:, np.newaxis] * t + phase)  # (N, T)
        mix = rng.normal(size=math.prod(shape[1:]))
        x = wave[:, :, np.newaxis] * mix + 0.5 * rng.normal(size=(num_samples, steps, mix.size))
    return make_dataset(
        x.reshape((num_samples, *shape)), y, name="synthetic_sequence", task=CLASSIFICATION,
        num_classes=num_classes,
    )
