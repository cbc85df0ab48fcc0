"""Live progress of a search: a rich table on the terminal, or JSON lines for editors.

When stderr is not a terminal (`2>&1 | tee log`, a CI job) rich's live table would show nothing
until the search ends, so each trial is one plain line written as it finishes (and as a remote
trial starts), with the same facts as its table row; the table is then not drawn at all.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Mapping
from typing import Any, NamedTuple

STATE_STYLES = {"COMPLETE": "green", "PRUNED": "yellow", "FAIL": "red", "RUNNING": "cyan"}


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _short(name: str) -> str:
    """layers[1].Dense.units -> [1].Dense.units; optimizer.Adam.lr -> Adam.lr; train.x -> x."""
    for prefix, repl in (("layers[", "["), ("optimizer.", ""), ("train.", "")):
        if name.startswith(prefix):
            return repl + name[len(prefix):]
    return name


class Row(NamedTuple):
    """One trial's facts as text: the table styles them, a log prints them as one line."""

    number: int
    state: str
    worker: str  # where a remote trial runs, "" otherwise
    params: str
    value: str
    best: str
    best_number: int | None  # the trial that holds the best value so far


def trial_row(number: int, state: str, params: Mapping[str, Any], value: float | None, best: float | None,
              best_number: int | None, worker: str | None = None) -> Row:
    return Row(number, state, worker or "", ", ".join(f"{_short(k)}={_fmt(v)}" for k, v in params.items()),
               _fmt(value) if value is not None else "-", _fmt(best) if best is not None else "-", best_number)


def table_cells(row: Row) -> tuple[str, ...]:
    """The row in the table's columns (#, state, params, value, best so far), with rich markup."""
    style = STATE_STYLES.get(row.state)
    state = f"[{style}]{row.state}[/{style}]" if style else row.state
    number = f"[bold]{row.number}[/bold]" if row.number == row.best_number else str(row.number)
    return number, f"{state} {row.worker}".rstrip(), row.params, row.value, row.best


def plain_line(row: Row, done: int, n: int) -> str:
    """`trial 3 (4/12)  COMPLETE  value 0.1234  best so far 0.1234 (trial 3)  [1].Dense.units=64, ...`."""
    where = f" on {row.worker}" if row.worker else ""
    count = "" if row.state == "RUNNING" else f" ({done}/{n})"
    mark = f" (trial {row.best_number})" if row.best_number is not None else ""
    return (f"trial {row.number}{count}  {row.state}{where}  value {row.value}  best so far {row.best}{mark}  "
            f"{row.params}").rstrip()


class JsonReporter:
    def __init__(self, n_trials: int, stream=None) -> None:
        self.n = n_trials
        self.stream = stream or sys.stdout
        self.count = 0

    def __call__(self, study: Any, trial: Any) -> None:
        self.count += 1
        try:
            best = study.best_value
        except ValueError:
            best = None
        print(json.dumps({"event": "trial", "number": trial.number, "n_trials": self.n, "index": self.count,
                          "state": trial.state.name, "value": trial.value, "best_value": best,
                          "params": trial.params}, default=str), file=self.stream, flush=True)


class TableReporter:
    """A rich table of trials that grows as they finish (number, state, params, value, best);
    one plain line per trial instead where the console is not a terminal."""

    def __init__(self, n_trials: int, console=None) -> None:
        from rich.console import Console
        from rich.live import Live

        self.n = n_trials
        self.rows: list[tuple] = []
        self.running: dict[int, int] = {}  # trial number -> its row while it runs (remote trials)
        self.console = console or Console(stderr=True)
        # rich's own test (FORCE_COLOR, TTY_COMPATIBLE honoured): elsewhere Live draws only at the end
        self.live = Live(self._table(), console=self.console, refresh_per_second=4,
                         transient=False) if self.console.is_terminal else None
        self.best: float | None = None
        self.best_number: int | None = None

    def __enter__(self):
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live is not None:
            self.live.update(self._table())
            self.live.__exit__(*exc)

    def _table(self):
        from rich.table import Table

        t = Table(title=f"HPO trials ({len(self.rows) - len(self.running)}/{self.n})")
        for col in ("#", "state", "params", "value", "best so far"):
            t.add_column(col)
        for row in self.rows[-25:]:
            t.add_row(*row)
        return t

    def _show(self, row: Row) -> None:
        if self.live is not None:
            self.live.update(self._table())
        else:
            done = len(self.rows) - len(self.running)
            print(plain_line(row, done, self.n), file=self.console.file, flush=True)

    def trial_started(self, number: int, values: dict[str, Any], worker: str | None) -> None:
        """A trial began on a remote worker: show it as running until it finishes."""
        row = trial_row(number, "RUNNING", values, None, self.best, self.best_number, worker)
        self.running[number] = len(self.rows)
        self.rows.append(table_cells(row))
        self._show(row)

    def __call__(self, study: Any, trial: Any) -> None:
        with contextlib.suppress(ValueError):  # no trial completed yet
            self.best = study.best_value
            self.best_number = study.best_trial.number
        row = trial_row(trial.number, trial.state.name, trial.params, trial.value, self.best, self.best_number)
        if trial.number in self.running:
            self.rows[self.running.pop(trial.number)] = table_cells(row)
        else:
            self.rows.append(table_cells(row))
        self._show(row)
