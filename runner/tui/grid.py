"""A keyed, sortable table widget whose repaint costs what changed, not what is visible.

Textual's DataTable re-renders every visible cell through Rich after any cell update (its
render caches are keyed by a global update counter), about 0.2 ms a cell: a 120x40
screen of experiments costs ~100 ms per live tick. This widget (Line API) keeps one
rendered strip per row, dropped only when that row's cells change, so a tick that updates
ten rows renders ten rows. Cells are `Cell` texts with one style each; columns are sized to
their widest cell (capped); the first `fixed_columns` stay put when scrolling sideways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from runner.tui.cells import Cell

MAX_WIDTH = 40
# A cell is one line: newlines, tabs and other control characters become spaces.
_CONTROLS = {c: " " for c in (*range(0, 32), 127)}


def _fit(text: str, width: int) -> str:
    """`text` cut (with an ellipsis) or padded to exactly `width` cells."""
    text = text.translate(_CONTROLS)
    length = cell_len(text)
    if length <= width:
        return text + " " * (width - length)
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (width - 1 - used)


class Grid(ScrollView, can_focus=True):
    """Rows keyed by strings, columns by strings; a row cursor; a 1..n line header."""

    COMPONENT_CLASSES = {"grid--header", "grid--cursor", "grid--even-row", "grid--fixed"}
    DEFAULT_CSS = """
    Grid {
        background: $surface;
        color: $foreground;
        & > .grid--header { text-style: bold; background: $panel; color: $foreground; }
        & > .grid--even-row { background: $surface-lighten-1 50%; }
        & > .grid--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .grid--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        &:dark > .grid--even-row { background: $surface-darken-1 40%; }
    }
    """
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("left", "sideways(-1)", "Left", show=False),
        Binding("right", "sideways(1)", "Right", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    class RowSelected(Message):
        def __init__(self, grid: Grid, key: str) -> None:
            super().__init__()
            self.grid = grid
            self.key = key

        @property
        def control(self) -> Grid:
            return self.grid

    class HeaderClicked(Message):
        def __init__(self, grid: Grid, column: str) -> None:
            super().__init__()
            self.grid = grid
            self.column = column

        @property
        def control(self) -> Grid:
            return self.grid

    def __init__(self, header_height: int = 2, fixed_columns: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.header_height = header_height
        self.fixed_columns = fixed_columns
        self.column_keys: list[str] = []
        self._labels: list[list[str]] = []
        self._widths: list[int] = []
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._cells: dict[str, list[Cell]] = {}
        self._strips: dict[str, tuple[tuple, Strip, Strip]] = {}
        self._styles: dict[str, Style] = {}
        self._header: list[tuple[Strip, Strip]] | None = None
        self.cursor_row = 0
        self.sort_marker: tuple[str, bool] | None = None  # (column, reverse) for the header

    # ------------------------------------------------------------------- reading

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def rows(self) -> dict[str, int]:
        return self._index

    def visible_keys(self) -> list[str]:
        return list(self._order)

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    def get_cell(self, key: str, column: str) -> Cell:
        return self._cells[key][self.column_keys.index(column)]

    def get_row(self, key: str) -> list[Cell]:
        return list(self._cells[key])

    @property
    def cursor_key(self) -> str | None:
        if not self._order:
            return None
        return self._order[min(self.cursor_row, len(self._order) - 1)]

    # ------------------------------------------------------------------- writing

    def set_columns(self, columns: Sequence[tuple[str, str]]) -> None:
        """(key, label) pairs; drops every row."""
        self.column_keys = [k for k, _ in columns]
        self._labels = [label.split("\n") for _, label in columns]
        self._widths = [max((cell_len(line) for line in lines), default=0)
                        for lines in self._labels]
        self._order, self._index, self._cells = [], {}, {}
        self._invalidate()

    def set_rows(self, rows: Iterable[tuple[str, list[Cell]]]) -> None:
        """Replace all rows, in this order."""
        self._order, self._index, self._cells = [], {}, {}
        for key, cells in rows:
            self._index[key] = len(self._order)
            self._order.append(key)
            self._cells[key] = cells
            self._grow(cells)
        self._invalidate()

    def add_row(self, key: str, cells: list[Cell]) -> None:
        self._index[key] = len(self._order)
        self._order.append(key)
        self._cells[key] = cells
        if self._grow(cells):
            self._invalidate()
        else:
            self._resize()
            self.refresh()

    def update_row(self, key: str, cells: list[Cell]) -> None:
        self._cells[key] = cells
        self._strips.pop(key, None)
        if self._grow(cells):
            self._invalidate()
        else:
            self.refresh()  # only this row's strip is rendered again

    def remove_row(self, key: str) -> None:
        index = self._index.pop(key)
        del self._order[index]
        self._cells.pop(key, None)
        self._strips.pop(key, None)
        for i in range(index, len(self._order)):
            self._index[self._order[i]] = i
        self.cursor_row = max(0, min(self.cursor_row, len(self._order) - 1))
        self._resize()
        self.refresh()

    def reorder(self, key: Callable[[list[Cell]], Any], reverse: bool = False) -> None:
        """Sort the rows by `key(cells)`; the cursor stays on the same row key."""
        keep = self.cursor_key
        self._order.sort(key=lambda k: key(self._cells[k]), reverse=reverse)
        self._index = {k: i for i, k in enumerate(self._order)}
        if keep is not None:
            self.cursor_row = self._index[keep]
        self.refresh()

    def clear(self) -> None:
        self.set_rows([])

    def set_sort_marker(self, column: str | None, reverse: bool = False) -> None:
        """Show ▲/▼ after the label of the column the rows are sorted by."""
        self.sort_marker = (column, reverse) if column is not None else None
        if column in self.column_keys:
            i = self.column_keys.index(column)
            need = cell_len(self._labels[i][-1]) + 2
            if need > self._widths[i]:
                self._widths[i] = need
                self._strips.clear()
                self._resize()
        self._header = None
        self.refresh()

    def _grow(self, cells: list[Cell]) -> bool:
        grew = False
        widths = self._widths
        for i, cell in enumerate(cells):
            w = min(cell.cell_len, MAX_WIDTH)
            if w > widths[i]:
                widths[i] = w
                grew = True
        return grew

    def _invalidate(self) -> None:
        self._strips.clear()
        self._header = None
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        width = sum(w + 2 for w in self._widths)
        self.virtual_size = Size(width, self.header_height + len(self._order))
        if self.cursor_row >= len(self._order):
            self.cursor_row = max(0, len(self._order) - 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._header = None
        self._styles.clear()

    def _on_focus(self, event: events.Focus) -> None:
        self._strips.clear()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._strips.clear()
        self.refresh()

    # ----------------------------------------------------------------- rendering

    def _style(self, spec: Any) -> Style:
        name = str(spec)
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = spec if isinstance(spec, Style) else \
                Style.parse(name) if name else Style()
        return style

    def _split(self, segments: list[Segment]) -> tuple[Strip, Strip]:
        n = self.fixed_columns
        return Strip(segments[:n]), Strip(segments[n:])

    def _row_strips(self, index: int) -> tuple[Strip, Strip]:
        key = self._order[index]
        flags = (index % 2, index == self.cursor_row)
        cached = self._strips.get(key)
        if cached is not None and cached[0] == flags:
            return cached[1], cached[2]
        base = self.rich_style
        if flags[0]:
            base = base + self.get_component_rich_style("grid--even-row")
        cursor = self.get_component_rich_style("grid--cursor") if flags[1] else None
        segments = []
        for cell, width in zip(self._cells[key], self._widths, strict=False):
            style = base + self._style(cell.style)
            if cursor is not None:
                style = style + cursor
            segments.append(Segment(" " + _fit(cell.plain, width) + " ", style))
        fixed, rest = self._split(segments)
        self._strips[key] = (flags, fixed, rest)
        return fixed, rest

    def _header_strips(self, line: int) -> tuple[Strip, Strip]:
        if self._header is None:
            style = self.rich_style + self.get_component_rich_style("grid--header")
            self._header = []
            for y in range(self.header_height):
                segments = []
                for key, lines, width in zip(self.column_keys, self._labels, self._widths,
                                             strict=True):
                    pad = self.header_height - len(lines)
                    text = lines[y - pad] if y >= pad else ""
                    if y == self.header_height - 1 and self.sort_marker and \
                            self.sort_marker[0] == key:
                        text = (text + (" ▼" if self.sort_marker[1] else " ▲")).lstrip()
                    segments.append(Segment(" " + _fit(text, width) + " ", style))
                self._header.append(self._split(segments))
        return self._header[line]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        if y < self.header_height:
            fixed, rest = self._header_strips(y)
        else:
            index = scroll_y + y - self.header_height
            if index >= len(self._order):
                return Strip.blank(width, self.rich_style)
            fixed, rest = self._row_strips(index)
        fixed_w = fixed.cell_length
        line = Strip.join([fixed, rest.crop(scroll_x, scroll_x + max(0, width - fixed_w))])
        return line.adjust_cell_length(width, self.rich_style)

    # --------------------------------------------------------------- navigation

    @property
    def _page(self) -> int:
        return max(1, self.size.height - self.header_height)

    def move_cursor(self, row: int) -> None:
        if not self._order:
            self.cursor_row = 0
            return
        row = max(0, min(row, len(self._order) - 1))
        old = self.cursor_row
        self.cursor_row = row
        for index in (old, row):
            if 0 <= index < len(self._order):
                self._strips.pop(self._order[index], None)
        top = round(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + self._page:
            self.scroll_to(y=row - self._page + 1, animate=False, immediate=True)
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * self._page)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._order) - 1)

    def action_sideways(self, direction: int) -> None:
        """Scroll the unfixed columns by one whole column."""
        edges, x = [0], 0
        for width in self._widths[self.fixed_columns:]:
            x += width + 2
            edges.append(x)
        now = round(self.scroll_x)
        if direction > 0:
            target = next((e for e in edges if e > now), now)
        else:
            target = max((e for e in edges if e < now), default=0)
        self.scroll_to(x=target, animate=False, immediate=True)

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def _column_at(self, x: int) -> str | None:
        fixed_w = sum(w + 2 for w in self._widths[: self.fixed_columns])
        if x >= fixed_w:
            x += round(self.scroll_x)
        edge = 0
        for key, width in zip(self.column_keys, self._widths, strict=True):
            edge += width + 2
            if x < edge:
                return key
        return None

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y < self.header_height:
            column = self._column_at(offset.x)
            if column is not None:
                self.post_message(self.HeaderClicked(self, column))
            return
        row = round(self.scroll_y) + offset.y - self.header_height
        if 0 <= row < len(self._order):
            if row == self.cursor_row:
                self.action_select()
            else:
                self.move_cursor(row)
