"""The experiments table: applies model changes row by row and sorts in place.

A refresh tick touches only the rows of experiments that changed (and the elapsed time of
running ones), and a row is rendered again only if one of its cells' text or style
changed. The table is rebuilt only when its columns change (a new main metric, a
hyperparameter that starts to differ) or the filter changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from textual.binding import Binding

from runner.tui.cells import Cell, sort_tuple
from runner.tui.grid import Grid
from runner.tui.model import TIME_COLUMNS, Column, ExperimentsModel


class ExperimentsTable(Grid):
    """One row per visible experiment, keyed by folder name."""

    BINDINGS = [
        Binding("enter", "select", "Open"),
        Binding("space", "toggle_mark", "Mark"),
        Binding("c", "app.compare", "Compare"),
        Binding("slash", "app.filter", "Filter"),
        Binding("f", "app.cycle_status", "Status"),
        Binding("s", "sort_next", "Sort"),
        Binding("S", "sort_reverse", "Reverse", show=False),
        Binding("d", "app.delete", "Delete"),
        Binding("o", "app.mirror_hint", "Mirrors"),
        Binding("escape", "app.clear", "Clear", show=False),
    ]

    def __init__(self, model: ExperimentsModel, **kwargs) -> None:
        super().__init__(header_height=2, fixed_columns=2, **kwargs)
        self.model = model
        self.columns_now: list[Column] = []

    # -------------------------------------------------------------- building

    def rebuild(self, now: float | None = None) -> None:
        """Columns and rows from scratch, in sort order."""
        now = time.time() if now is None else now
        keep = self.cursor_key
        self.columns_now = self.model.columns()
        if self.model.sort_column not in {c.key for c in self.columns_now}:
            self.model.sort_column, self.model.sort_reverse = "start", True  # its column left
        self.set_columns([(c.key, c.label) for c in self.columns_now])
        self.set_sort_marker(self.model.sort_column, self.model.sort_reverse)
        experiments = self.model.experiments
        self.set_rows((key, self.model.row(experiments[key], self.columns_now, now))
                      for key in self.model.ordered_visible())
        self._restore_cursor(keep)

    def _restore_cursor(self, key: str | None) -> None:
        if key is not None and key in self.rows:
            self.move_cursor(self.get_row_index(key))

    def apply(self, changed: Iterable[str], removed: Iterable[str], now: float | None = None
              ) -> None:
        """Bring the table in line with a reader poll's changes."""
        now = time.time() if now is None else now
        model = self.model
        changed = set(changed)
        removed = set(removed)
        model.sync(changed, removed)
        if [c.key for c in model.columns()] != [c.key for c in self.columns_now]:
            self.rebuild(now)
            return
        resort = False
        sort_index = self._sort_index()
        for key in removed:
            if key in self.rows:
                self.remove_row(key)
        experiments = model.experiments
        for key in changed:
            state = experiments.get(key)
            if state is None or key not in model.visible:
                if key in self.rows:
                    self.remove_row(key)
                continue
            cells = model.row(state, self.columns_now, now)
            if key not in self.rows:
                self.add_row(key, cells)
                resort = True
            else:
                resort = self._update(key, cells, sort_index) or resort
        # the clock moves the elapsed time of live runs without any file changing
        time_cols = [(i, c.key) for i, c in enumerate(self.columns_now) if c.key in TIME_COLUMNS]
        for key in model.visible:
            state = experiments[key]
            if state.status == "running" and key not in changed and key in self.rows:
                cells = self.get_row(key)
                for i, col in time_cols:
                    cells[i] = model.cell(state, col, now)
                resort = self._update(key, cells, sort_index) or resort
        if resort:
            self.resort()

    def _sort_index(self) -> int | None:
        keys = [c.key for c in self.columns_now]
        return keys.index(self.model.sort_column) if self.model.sort_column in keys else None

    def _update(self, key: str, cells: list[Cell], sort_index: int | None) -> bool:
        """Replace a row's cells if any differs; True if its sort value changed."""
        old = self._cells[key]
        if all(new.same(o) for new, o in zip(cells, old, strict=True)):
            return False
        moved = sort_index is not None and \
            cells[sort_index].sort_value != old[sort_index].sort_value
        self.update_row(key, cells)
        return moved

    def redraw_row(self, key: str) -> None:
        """Re-render one row (after its mark toggled)."""
        state = self.model.experiments.get(key)
        if state is not None and key in self.rows:
            self._update(key, self.model.row(state, self.columns_now), None)

    # --------------------------------------------------------------- sorting

    def resort(self) -> None:
        index = self._sort_index()
        if index is None:
            return
        reverse = self.model.sort_reverse
        self.set_sort_marker(self.model.sort_column, reverse)
        self.reorder(lambda cells: sort_tuple(cells[index].sort_value, reverse), reverse)
        self._restore_cursor(self.cursor_key)

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        model = self.model
        if reverse is None:
            reverse = not model.sort_reverse if column == model.sort_column else False
        model.sort_column, model.sort_reverse = column, reverse
        self.resort()

    def action_sort_next(self) -> None:
        keys = [c.key for c in self.columns_now if c.key != "mark"]
        if not keys:
            return
        i = keys.index(self.model.sort_column) if self.model.sort_column in keys else -1
        self.sort_by(keys[(i + 1) % len(keys)], reverse=False)
        self.app.refresh_summary()

    def action_sort_reverse(self) -> None:
        self.sort_by(self.model.sort_column, reverse=not self.model.sort_reverse)
        self.app.refresh_summary()

    def on_grid_header_clicked(self, event: Grid.HeaderClicked) -> None:
        event.stop()
        if event.column != "mark":
            self.sort_by(event.column)
            self.app.refresh_summary()

    # ----------------------------------------------------------------- marks

    def action_toggle_mark(self) -> None:
        key = self.cursor_key
        if key is None:
            return
        self.model.marked.symmetric_difference_update({key})
        self.redraw_row(key)
        self.move_cursor(self.cursor_row + 1)
        self.app.refresh_summary()
