"""Live progress of a search: a rich table on the terminal, or JSON lines for editors."""

from __future__ import annotations

import json
import sys
from typing import Any


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
    """A rich table of trials that grows as they finish (number, state, params, value, best)."""

    def __init__(self, n_trials: int, console=None) -> None:
        from rich.console import Console
        from rich.live import Live

        self.n = n_trials
        self.rows: list[tuple] = []
        self.running: dict[int, int] = {}  # trial number -> its row while it runs (remote trials)
        self.console = console or Console(stderr=True)
        self.live = Live(self._table(), console=self.console, refresh_per_second=4, transient=False)
        self.best: float | None = None

    def __enter__(self):
        self.live.__enter__()
        return self

    def __exit__(self, *exc):
        self.live.update(self._table())
        self.live.__exit__(*exc)
        if not self.console.is_terminal:
            self.console.line()  # rich ends the table with a line break only on a terminal

    def _table(self):
        from rich.table import Table

        t = Table(title=f"HPO trials ({len(self.rows) - len(self.running)}/{self.n})")
        for col in ("#", "state", "params", "value", "best so far"):
            t.add_column(col)
        for row in self.rows[-25:]:
            t.add_row(*row)
        return t

    def trial_started(self, number: int, values: dict[str, Any], worker: str | None) -> None:
        """A trial began on a remote worker: show it as running until it finishes."""
        params = ", ".join(f"{_short(k)}={_fmt(v)}" for k, v in values.items())
        self.running[number] = len(self.rows)
        self.rows.append((str(number), f"[cyan]RUNNING[/cyan] {worker or ''}".rstrip(), params, "-",
                          _fmt(self.best) if self.best is not None else "-"))
        self.live.update(self._table())

    def __call__(self, study: Any, trial: Any) -> None:
        try:
            self.best = study.best_value
            best_no = study.best_trial.number
        except ValueError:
            best_no = None
        params = ", ".join(f"{_short(k)}={_fmt(v)}" for k, v in trial.params.items())
        state = trial.state.name
        style = {"COMPLETE": "green", "PRUNED": "yellow", "FAIL": "red"}.get(state, "")
        number = f"[bold]{trial.number}[/bold]" if trial.number == best_no else str(trial.number)
        row = (number, f"[{style}]{state}[/{style}]", params,
               _fmt(trial.value) if trial.value is not None else "-",
               _fmt(self.best) if self.best is not None else "-")
        if trial.number in self.running:
            self.rows[self.running.pop(trial.number)] = row
        else:
            self.rows.append(row)
        self.live.update(self._table())
