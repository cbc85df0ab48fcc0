"""Does a dataset fit the network's input? If not, say so with both shapes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from runner.data.dataset import DataError, Dataset


def _fmt(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _matches(data_shape: tuple[int, ...], input_shape: tuple[int | None, ...]) -> bool:
    """`None` in the network's shape (a variable-length axis) accepts any size."""
    return len(data_shape) == len(input_shape) and all(
        want is None or want == have for have, want in zip(data_shape, input_shape, strict=True)
    )


def fit_to_input(
    ds: Dataset, input_shape: Sequence[int | None], *, reshape: bool = False
) -> Dataset:
    """Return `ds` if its per-sample shape is the network's input shape.

    With `reshape=True` and equal element counts, the samples are reshaped (e.g. digits (64,) into
    an (8, 8, 1) input); otherwise a DataError names both shapes and, when the counts match, offers
    the reshape.
    """
    want = tuple(None if d is None else int(d) for d in input_shape)
    have = ds.input_shape
    if _matches(have, want):
        return ds
    have_n = math.prod(have)
    fixed = None not in want
    if fixed and math.prod(want) == have_n:
        if reshape:
            return replace(ds, x=ds.x.reshape((len(ds), *want)), input_shape=want)
        raise DataError(
            f"dataset {ds.name!r} has samples shaped {_fmt(have)} but the network's input is "
            f"{_fmt(want)}; both hold {have_n} values per sample, so the data can be reshaped: "
            f"rerun with reshape enabled (`--reshape`, or reshape=True)"
        )
    raise DataError(
        f"dataset {ds.name!r} has samples shaped {_fmt(have)} ({have_n} values) but the network's "
        f"input is {_fmt(want)}" + (f" ({math.prod(want)} values)" if fixed else "")
        + "; change the network's `input:` or use a dataset of that shape"
    )
