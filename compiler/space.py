"""The search space: one `HPOParam` per HPO expression in the text.

One expression in the text is one parameter, wherever it is used (a macro used twice, a
layer repeated with `* 3`): rendering puts one value back at one place. Values of
`choice` / `custom` parameters are option indices internally; `public_value` turns them
into what people read and type (`64`, `"relu"`, `(3, 3)`, `Dense(128)`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from compiler.display import show
from compiler.syntax import HPO

ENUM_LIMIT = 64  # a discrete parameter with more values than this counts as "wide"


@dataclass(slots=True, eq=False)
class HPOParam:
    name: str
    kind: str  # choice | range | log_range | custom
    node: HPO
    options: list[Any] = field(default_factory=list)  # choice / custom values
    option_nodes: list[Any] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # custom option names
    low: float | None = None
    high: float | None = None
    step: float | None = None
    is_int: bool = False
    parent: HPOParam | None = None  # the choice this one sits inside
    children: list[HPOParam] = field(default_factory=list)
    context: str = ""  # what it sets, e.g. "Dense.units"
    # A custom(...) of dictionaries standing as a layer's first argument: each option is a
    # set of that layer's named arguments (`Dense(HPO(custom({"a": {"units": 16}})))`).
    spreads: bool = False
    source: str = ""  # the file's text (for option labels)

    @property
    def option_spans(self) -> list[tuple[int, int]]:
        return [(n.start, n.end) for n in self.option_nodes]

    # ------------------------------------------------------------------ size
    @property
    def scale(self) -> str:
        if self.kind == "log_range":
            return "log"
        if self.kind == "range":
            return "linear"
        return "categorical"

    def own_count(self) -> int | None:
        """Number of values of this parameter alone (None: continuous)."""
        if self.kind in ("choice", "custom"):
            return len(self.options)
        if self.kind == "range":
            if self.step is not None:
                return int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
            if self.is_int:
                return int(self.high) - int(self.low) + 1
            return None
        return None  # log_range is continuous

    def count(self) -> int | None:
        """Configurations this parameter contributes, nested choices included."""
        if self.kind not in ("choice", "custom") or not self.children:
            return self.own_count()  # no option holds a parameter: one configuration each
        total = 0
        for i in range(len(self.options)):
            n = self.option_count(i)
            if n is None:
                return None
            total += n
        return total

    def option_count(self, i: int) -> int | None:
        n = 1
        for child in self.children_of(i):
            c = child.count()
            if c is None:
                return None
            n *= c
        return n

    def children_of(self, i: int) -> list[HPOParam]:
        s, e = self.option_spans[i]
        return [c for c in self.children if s <= c.node.start and c.node.end <= e]

    # ------------------------------------------------------------------ values
    def values(self, limit: int = ENUM_LIMIT) -> list[Any] | None:
        """Every value (indices for choices), or None when continuous or wider than limit."""
        n = self.own_count()
        if n is None or n > limit:
            return None
        if self.kind in ("choice", "custom"):
            return list(range(n))
        if self.is_int:
            step = int(self.step) if self.step is not None else 1
            return list(range(int(self.low), int(self.high) + 1, step))
        return [_round(self.low + i * self.step) for i in range(n)]

    def sample_values(self, k: int = 5) -> list[Any]:
        """A few representative values (for display of continuous ranges)."""
        if self.kind == "log_range":
            a, b = math.log(self.low), math.log(self.high)
            return [_round(math.exp(a + (b - a) * i / (k - 1))) for i in range(k)]
        if self.kind == "range" and self.step is None and not self.is_int:
            return [_round(self.low + (self.high - self.low) * i / (k - 1)) for i in range(k)]
        vals = self.values(limit=10**9) or []
        return vals

    def default(self) -> Any:
        """The value used when a program with HPO is run without a search.

        Rule (documented in the README): the first option of a choice, the lower bound of
        a range, the geometric middle of a log_range.
        """
        if self.kind in ("choice", "custom"):
            return 0
        if self.kind == "log_range":
            return _round(math.sqrt(self.low * self.high))
        return int(self.low) if self.is_int else self.low

    def public_value(self, value: Any) -> Any:
        """The value as people read it: a choice index becomes its option."""
        if self.kind in ("choice", "custom") and isinstance(value, int):
            if self.kind == "custom":
                return self.labels[value]
            opt = self.options[value]
            if isinstance(opt, (bool, int, float, str)) or opt is None:
                return opt
            return self.option_text(value)
        return value

    def option_display(self, i: int) -> str:
        """An option as written in the DSL: 64, "relu", (3, 3), Dense(128); custom: its name."""
        opt = self.options[i]
        if self.kind == "custom":
            return show(self.labels[i])
        if isinstance(opt, (bool, int, float, str)) or opt is None:
            return show(opt)
        return self.option_text(i)

    def option_text(self, i: int) -> str:
        s, e = self.option_spans[i]
        return self.source[s:e] if self.source else str(self.options[i])

    def parse_public(self, value: Any) -> Any:
        """Inverse of public_value (for `--set name=value`); raises ValueError."""
        if self.kind in ("choice", "custom"):
            for i in range(len(self.options)):
                pv = self.public_value(i)
                if pv == value or _norm(pv) == _norm(value):
                    return i
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(self.options) \
                    and not any(isinstance(o, (int, float)) and not isinstance(o, bool) for o in self.options):
                return value
            shown = ", ".join(show(self.public_value(i)) for i in range(len(self.options)))
            raise ValueError(f"{self.name} must be one of {shown}; got {show(value)}")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"{self.name} takes a number; got {show(value)}")
        if value < self.low - 1e-12 or value > self.high + 1e-12:
            raise ValueError(f"{self.name} must be within [{self.low}, {self.high}]; got {value}")
        if self.is_int:
            if float(value) != int(value):
                raise ValueError(f"{self.name} takes an integer; got {value}")
            value = int(value)
        if self.step is not None:
            k = (value - self.low) / self.step
            if abs(k - round(k)) > 1e-6:
                raise ValueError(f"{self.name} moves in steps of {self.step} from {self.low}; got {value}")
        return value

    def values_text(self, limit: int = 8) -> str:
        """The values, shortened when many: `32, 64, 128` or `1, 2, 3, ..., 100 (100 values)`."""
        n = self.own_count()
        if self.kind in ("choice", "custom"):
            shown = [self.option_display(i) for i in range(len(self.options))]
        else:
            vals = self.values(limit=10**6)
            if vals is None:
                return f"continuous in [{show(self.low)}, {show(self.high)}]"
            shown = [show(v) for v in vals]
        if len(shown) > limit:
            head = ", ".join(shown[: limit - 2])
            return f"{head}, ..., {shown[-1]} ({n} values)"
        return ", ".join(shown)

    def describe(self) -> str:
        """One line: kind, bounds, step or scale, number of values."""
        n = self.count()
        size = "continuous" if n is None else f"{n} value{'s' if n != 1 else ''}"
        if self.kind == "choice":
            return f"choice of {self.values_text()} ({size})"
        if self.kind == "custom":
            return f"custom: {', '.join(self.labels)} ({size})"
        typ = "int" if self.is_int else "float"
        if self.kind == "log_range":
            return f"log-uniform {typ} in [{show(self.low)}, {show(self.high)}] ({size})"
        step = f", step {show(self.step)}" if self.step is not None else ""
        return f"{typ} range [{show(self.low)}, {show(self.high)}]{step} ({size})"


def _round(x: float) -> float:
    return float(f"{x:.12g}")


def _norm(v: Any) -> Any:
    if isinstance(v, str):
        return v.replace(" ", "").strip("\"'").lower()
    if isinstance(v, list):
        return tuple(v)
    return v


@dataclass(slots=True, eq=False)
class Space:
    """The HPO parameters one network uses, in order of appearance."""

    params: list[HPOParam] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self):
        return iter(self.params)

    def get(self, name: str) -> HPOParam | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def roots(self) -> list[HPOParam]:
        return [p for p in self.params if p.parent is None]

    def size(self) -> int | None:
        """Number of distinct configurations; None when any parameter is continuous."""
        counts = [p.count() for p in self.roots]
        return None if None in counts else product(counts)

    def describe_size(self) -> str:
        n = self.size()
        if not self.params:
            return "no search space (no HPO)"
        if n is None:
            counts = [p.count() for p in self.roots]
            cont = counts.count(None)
            discrete = product([c for c in counts if c is not None])
            return (f"continuous ({cont} continuous parameter{'s' if cont != 1 else ''} × "
                    f"{count_text(discrete)} discrete combinations)")
        return f"{count_text(n)} configuration{'s' if n != 1 else ''}"

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default() for p in self.params}

    def active(self, values: dict[str, Any]) -> list[HPOParam]:
        """The parameters that matter under `values` (inner ones of unchosen options do not)."""
        out = []
        for p in self.params:
            q, ok = p, True
            while q.parent is not None:
                parent = q.parent
                idx = values.get(parent.name, parent.default())
                s, e = parent.option_spans[idx] if isinstance(idx, int) and idx < len(parent.option_spans) else (0, 0)
                if not (s <= q.node.start and q.node.end <= e):
                    ok = False
                    break
                q = parent
            if ok:
                out.append(p)
        return out

    def from_public(self, values: dict[str, Any]) -> dict[str, Any]:
        by = {p.name: p for p in self.params}
        out = {}
        for k, v in values.items():
            if k not in by:
                raise KeyError(k)
            out[k] = by[k].parse_public(v)
        return out


def product(counts: list[int]) -> int:
    """The product, multiplied pairwise: one running product of 100,000 factors of 2 costs
    a multiplication of a number thousands of digits long per factor (quadratic)."""
    if not counts:
        return 1
    while len(counts) > 1:
        pairs = [a * b for a, b in zip(counts[::2], counts[1::2], strict=False)]
        if len(counts) % 2:
            pairs.append(counts[-1])
        counts = pairs
    return counts[0]


def count_text(n: int) -> str:
    """`1,024`, or `about 1.3e30103` for a count too long to print in full.

    A space of 100,000 two-way choices has 2**100000 configurations: Python refuses to turn
    an int of more than 4,300 digits into text, and nobody reads 30,000 digits anyway.
    """
    if n < 10**15:
        return f"{n:,}"
    shift = max(0, n.bit_length() - 60)
    exponent = math.log10(n >> shift) + shift * math.log10(2)
    whole = math.floor(exponent)
    mantissa = round(10 ** (exponent - whole), 1)
    if mantissa >= 10:  # 9.96 shows as 1.0 of the next power
        mantissa, whole = mantissa / 10, whole + 1
    return f"about {mantissa:.1f}e{whole}"
