"""The checker: one pass over a syntax tree that builds the checked model, composed of one
class per concern (structure, macros, layers, values, HPO, training)."""

from __future__ import annotations

from typing import Any

from compiler.checks.hpo import HPOChecks
from compiler.checks.layers import LayerChecks
from compiler.checks.macros import MacroChecks
from compiler.checks.structure import StructureChecks
from compiler.checks.training import TrainingChecks
from compiler.checks.values import ValueChecks
from compiler.parser import parse_one_value
from compiler.syntax import File


class Checker(StructureChecks, MacroChecks, LayerChecks, ValueChecks, HPOChecks, TrainingChecks):
    """`Checker(text, tree).check()` gives the file's networks; `diags` what it found."""

def literal_value(text: str) -> Any:
    """A value written as in the DSL, alone in `text` (`64`, `0.5`, `"relu"` or `relu`,
    `(3, 3)`, `true`, `none`): what `--set name=value` gives. A bare name is its text.
    Raises ValueError when `text` is not exactly one value."""
    node = parse_one_value(text)
    if node is None:
        raise ValueError(f"cannot read the value {text!r}")
    value = Checker(text, File([], [], [], len(text))).eval_value(node, "value")
    return str(value) if isinstance(value, str) else value
