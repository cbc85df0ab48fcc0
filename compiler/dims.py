"""Shapes and their dimensions.

A shape is a tuple without the batch dimension, channels last. A dimension is an int,
None (unknown), or a `Span` (every integer between lo and hi: what a wide HPO range,
such as `Dense(HPO(range(10, 1000)))`, makes of a dimension).
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Span(NamedTuple):
    lo: int
    hi: int

    def __str__(self) -> str:
        return f"{self.lo}..{self.hi}"


Dim = int | None | Span
Shape = tuple[Dim, ...]


class ShapeError(Exception):
    """A layer cannot take its input; `code` is the diagnostic code (N5xx)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def lo(d: Dim) -> int | None:
    return d.lo if isinstance(d, Span) else d


def hi(d: Dim) -> int | None:
    return d.hi if isinstance(d, Span) else d


def make(lo_: int, hi_: int) -> Dim:
    return lo_ if lo_ == hi_ else Span(lo_, hi_)


def apply(d: Dim, fn) -> Dim:
    """Apply a monotone non-decreasing function to a dimension."""
    if d is None:
        return None
    if isinstance(d, Span):
        return make(fn(d.lo), fn(d.hi))
    return fn(d)


def mul(a: Dim, b: Dim) -> Dim:
    if type(a) is int and type(b) is int:  # most dimensions: no Span, no call
        return a * b
    if a is None or b is None:
        return None
    return make(lo(a) * lo(b), hi(a) * hi(b))


def add(a: Dim, b: Dim) -> Dim:
    if type(a) is int and type(b) is int:
        return a + b
    if a is None or b is None:
        return None
    return make(lo(a) + lo(b), hi(a) + hi(b))


def prod(dims) -> Dim:
    out: Dim = 1
    for d in dims:
        out = mul(out, d)
    return out


def fmt_dim(d: Dim) -> str:
    return "?" if d is None else str(d)


def fmt(shape: Shape | None) -> str:
    if shape is None:
        return "unknown"
    if len(shape) == 1:
        return f"({fmt_dim(shape[0])},)"
    return "(" + ", ".join(fmt_dim(d) for d in shape) + ")"


def fmt_count(n: Dim) -> str:
    if n is None:
        return "?"
    if isinstance(n, Span):
        return f"{n.lo:,}..{n.hi:,}"
    return f"{n:,}"


def conv_out(n: Dim, k: int, s: int, padding, dilation: int = 1) -> Dim:
    """Output length of a convolution or pooling window along one axis (Keras rules)."""
    if padding == "same":
        return apply(n, lambda x: math.ceil(x / s))
    pad = 0 if padding in ("valid", None) else int(padding)
    eff = dilation * (k - 1) + 1
    return apply(n, lambda x: (x + 2 * pad - eff) // s + 1)


def deconv_out(n: Dim, k: int, s: int, padding) -> Dim:
    if padding == "same":
        return apply(n, lambda x: x * s)
    return apply(n, lambda x: (x - 1) * s + k)
