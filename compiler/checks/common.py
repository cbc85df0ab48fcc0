"""What every concern of the checker shares: the state one pass accumulates (diagnostics,
macros, the HPO parameters met so far) and small pure helpers for messages and names."""

from __future__ import annotations

import difflib
import functools
from typing import Any

from compiler import diagnostics as dg
from compiler import layers as L
from compiler.diagnostics import Diagnostic
from compiler.display import show
from compiler.model import CallValue, LayerIR, Symbol
from compiler.space import HPOParam
from compiler.syntax import HPO, Define, DictV, File

HPO_KINDS = ("choice", "range", "log_range", "custom")
LR_NAMES = {"learning_rate", "initial_learning_rate", "lr"}


class CheckState:
    """The state of one checking pass; the concern mixins (structure, macros, layers, values,
    HPO, training) read and extend it, so one pass reports everything."""

    def __init__(self, text: str, tree: File) -> None:
        self.text = text
        self.tree = tree
        self.diags: list[Diagnostic] = []
        self.macros: dict[str, Define] = {}
        self.macro_layers: dict[str, list[LayerIR]] = {}
        self.macro_params: dict[str, list[HPOParam]] = {}
        self.expanding: list[str] = []
        self.params: list[HPOParam] = []  # parameters met while building the current unit
        self.parent_stack: list[tuple[HPOParam, int]] = []  # enclosing choice option
        self.detached: list = []  # syntax parsed from inside strings (not in the tree)
        # (parameter id, owner, type, value) -> (parameter, checked value) of plain values
        # that passed their checks without a diagnostic (ValueChecks.validate)
        self.passed: dict[tuple, tuple] = {}

    def error(self, code: str, msg: str, start: int, end: int, **kw: Any) -> None:
        self.diags.append(dg.make(code, msg, start, end, **kw))


def macro_for(name: str, macros) -> str | None:
    """The macro a call named `name` uses: its exact name, or, when no built-in layer has the
    name, a macro spelled in another case (names match case-insensitively, as layers do)."""
    if name in macros:
        return name
    if L.lookup(name) is None:
        low = name.lower()
        return next((m for m in macros if m.lower() == low), None)
    return None


def dict_options(node: Any) -> bool:
    """`HPO(custom({...}))` whose options are all dictionaries."""
    if not (isinstance(node, HPO) and node.kind.lower() == "custom" and len(node.args) == 1):
        return False
    d = node.args[0].value
    return isinstance(d, DictV) and bool(d.items) and all(isinstance(v, DictV) for *_k, v in d.items)


def did_you_mean(word: str, candidates, n: int = 1) -> str | None:
    """The closest candidate (any case), for "did you mean" messages and their fixes.

    difflib takes 0.2-0.8 ms a question over the layer names: a program with the same
    misspelling on every line asks the same question each time (cached), and candidates
    whose length alone keeps them under the cutoff are left out before difflib sees them.
    """
    return _closest(word.lower(), tuple(candidates), n)


CUTOFF = 0.6


@functools.lru_cache(maxsize=4096)
def _closest(word: str, candidates: tuple[str, ...], n: int) -> str | None:
    low = {c.lower(): c for c in candidates}
    la = len(word)
    # difflib's own first test (real_quick_ratio), the same formula: the result is unchanged.
    near = [c for c in low if (2.0 * min(la, len(c)) / (la + len(c)) if la + len(c) else 1.0) >= CUTOFF]
    hit = difflib.get_close_matches(word, near, n=n, cutoff=CUTOFF)
    return low[hit[0]] if hit else None


def type_name(v: Any) -> str:
    """How a value's type reads in a message ("integer", "string "relu"", "layer Dense")."""
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, Symbol):
        return f"name {v}"
    if isinstance(v, str):
        return f'string "{v}"'
    if v is None:
        return "none"
    if isinstance(v, tuple):
        return "tuple"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "dictionary"
    if isinstance(v, LayerIR):
        return f"layer {v.name}"
    if isinstance(v, CallValue):
        return f"call {v.name}(...)"
    return type(v).__name__


def show_value(v: Any) -> str:
    """As written; a bare name (`loss: mse`) stays bare."""
    return str(v) if isinstance(v, Symbol) else show(v)
