"""The syntax tree. Every node keeps the [start, end) character offsets of its text.

The tree is what the user wrote, before any checking: layer names as typed, macros not
expanded, HPO expressions in place. `checks` turns it into the checked model.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Num:
    value: int | float
    text: str
    start: int
    end: int


@dataclass(slots=True)
class Str:
    value: str
    start: int
    end: int


@dataclass(slots=True)
class Const:
    """`true`, `false` or `none` in any case."""

    value: bool | None
    start: int
    end: int


@dataclass(slots=True)
class Ident:
    """A bare name used as a value: `loss: categorical_crossentropy`, `optimizer: Adam`."""

    name: str
    start: int
    end: int


@dataclass(slots=True)
class TupleV:
    items: list[Value]
    trailing_comma: bool
    start: int
    end: int


@dataclass(slots=True)
class ListV:
    items: list[Value]
    start: int
    end: int


@dataclass(slots=True)
class DictV:
    items: list[tuple[str, int, int, Value]]  # key, key start, key end, value
    start: int
    end: int


@dataclass(slots=True)
class Arg:
    name: str | None  # None for a positional argument
    name_start: int
    name_end: int
    value: Value
    start: int
    end: int


@dataclass(slots=True)
class Call:
    """`Name(args) { block }`; also a layer written as a bare name (`args is None`)."""

    name: str
    name_start: int
    name_end: int
    args: list[Arg] | None
    block: list[LayerStmt] | None
    start: int
    end: int
    args_start: int = -1  # offset of "(" and just past ")" when there are parentheses
    args_end: int = -1


@dataclass(slots=True)
class HPO:
    """`HPO(kind(args))`."""

    kind: str
    kind_start: int
    kind_end: int
    args: list[Arg]
    start: int
    end: int


Value = Num | Str | Const | Ident | TupleV | ListV | DictV | Call | HPO


@dataclass(slots=True)
class Branch:
    """`name: { layers }` inside `layers:`: a branch applied to one named input."""

    name: str
    name_start: int
    name_end: int
    block: list[LayerStmt]
    start: int
    end: int


@dataclass(slots=True)
class LayerStmt:
    expr: Call | HPO | Branch
    repeat: Num | None
    device: Str | None
    start: int
    end: int
    # How many edits' offset moves this statement has taken (compiler.offsets.ShiftLog): a
    # statement of a network's `layers:` is moved when it is read, not when text before it
    # changes.
    epoch: int = field(default=0, compare=False, repr=False)


@dataclass(slots=True)
class Entry:
    """`key: value` inside `train { }` / `execute { }` or directly in a network."""

    key: str
    key_start: int
    key_end: int
    value: Value
    start: int
    end: int


@dataclass(slots=True)
class Section:
    """One `name:` or `name { }` section of a network, as written (for duplicates)."""

    key: str  # canonical: input, layers, loss, optimizer, metrics, train, execute, ...
    key_start: int
    key_end: int
    start: int
    end: int


@dataclass(slots=True)
class Network:
    name: str
    name_start: int
    name_end: int
    start: int
    end: int
    sections: list[Section] = field(default_factory=list)
    inputs: list[Value] = field(default_factory=list)
    layers: list[LayerStmt] | None = None
    layers_key: tuple[int, int] | None = None
    loss: Value | None = None
    optimizer: Value | None = None
    metrics: Value | None = None
    train: list[Entry] = field(default_factory=list)
    execute: list[Entry] = field(default_factory=list)
    unknown: list[Entry] = field(default_factory=list)


@dataclass(slots=True)
class Define:
    name: str
    name_start: int
    name_end: int
    body: list[LayerStmt]
    start: int
    end: int
    has_params: bool = False


@dataclass(slots=True)
class Comment:
    text: str
    start: int
    end: int


@dataclass(slots=True)
class File:
    defines: list[Define]
    networks: list[Network]
    comments: list[Comment]
    length: int
