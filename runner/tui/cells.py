"""Table cells that carry the raw value they sort by, and the status styles."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text

STATUS_STYLES = {
    "running": "bold cyan",
    "completed": "green",
    "failed": "bold red",
    "interrupted": "dark_orange",
    "pruned": "yellow",
    "corrupt": "bold white on red",
    "incomplete": "magenta",
    "unreadable": "bold white on red",
}
# Order of statuses when sorting by status: live first, problems last.
STATUS_ORDER = {s: i for i, s in enumerate(
    ("running", "failed", "interrupted", "pruned", "completed", "incomplete", "corrupt",
     "unreadable"))}


class Cell(Text):
    """A Rich Text cell plus `sort_value`, the raw value (number, text, None) behind it."""

    def __init__(self, text: str = "", style: str = "", sort_value: Any = None) -> None:
        super().__init__(text, style=style, no_wrap=True, end="")
        self.sort_value = sort_value

    def same(self, other: Cell) -> bool:
        return self.plain == other.plain and str(self.style) == str(other.style)


def sort_tuple(value: Any, reverse: bool) -> tuple:
    """A key that orders numbers before text and keeps missing values last either way."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (0,) if reverse else (1,)
    present = 1 if reverse else 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (present, 0, value)
    if isinstance(value, str):
        return (present, 1, value.lower())
    return (present, 2, str(value))
