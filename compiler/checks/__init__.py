"""From syntax tree to checked model: names, structure, values, HPO expressions, macros.

Every problem becomes a diagnostic (N2xx, N3xx, N4xx, N6xx) with the range of the text at
fault; checking goes on after each one, so one pass reports everything. One module per
concern; `Checker` composes them. This package's surface is what callers import here.
"""

from compiler.checks.checker import Checker, literal_value
from compiler.checks.common import did_you_mean, macro_for

__all__ = ["Checker", "did_you_mean", "literal_value", "macro_for"]
