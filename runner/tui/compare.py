"""Compare marked experiments side by side: one column per experiment, one row per field,
rows whose values differ highlighted, the best value of each metric in green, and the
curves of one metric (cycled with "m") overlaid above."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from runner.tracking.summary import metric_mode
from runner.tui import format as fmt
from runner.tui.cells import STATUS_STYLES
from runner.tui.charts import line_chart
from runner.tui.detail import default_metrics
from runner.tui.experiment import ExperimentState, token
from runner.tui.history import SeriesReader
from runner.tui.model import elapsed

DIFF_STYLE = "bold yellow"
BEST_STYLE = "bold green"


@dataclass
class CompareRow:
    key: str
    label: str
    values: list[object]  # raw values, None where an experiment has none
    texts: list[str]
    differs: bool
    best: int | None = None  # index of the best value (metric rows)


def _row(key: str, label: str, values: list[object], texts: list[str] | None = None,
         mode: str | None = None) -> CompareRow:
    texts = texts if texts is not None else [fmt.value(v) if v is not None else "" for v in values]
    differs = len({token(v) for v in values}) > 1
    best = None
    if mode:
        numbers = [(v, i) for i, v in enumerate(values)
                   if isinstance(v, (int, float)) and v == v]
        if numbers and differs:
            best = (min if mode == "min" else max)(numbers)[1]
    return CompareRow(key, label, values, texts, differs, best)


def compare_rows(states: Sequence[ExperimentState], series: Sequence[SeriesReader],
                 now: float) -> list[CompareRow]:
    """Every field of the compared experiments, as rows of the compare table."""
    rows = [
        _row("status", "status", [s.status for s in states]),
        _row("start", "start", [s.start_timestamp for s in states],
             [fmt.start(s.start_timestamp) for s in states]),
        _row("duration", "duration", [elapsed(s, now) for s in states],
             [fmt.duration(elapsed(s, now)) for s in states]),
        _row("steps", "steps", [s.last_step for s in states]),
        _row("tags", "tags", [" ".join(f"{k}={v}" if v else k for k, v in s.tags.items())
                              for s in states]),
    ]
    metrics: dict[str, None] = {}
    for s in states:
        metrics.update(dict.fromkeys(s.metrics))
    for name in metrics:
        mode = metric_mode(name)
        stats = [s.metrics.get(name) for s in states]
        rows.append(_row(f"m:{name}:last", f"{name} last", [m.last if m else None for m in stats],
                         [fmt.number(m.last) if m else "" for m in stats], mode))
        rows.append(_row(f"m:{name}:best", f"{name} best {'↓' if mode == 'min' else '↑'}",
                         [m.best if m else None for m in stats],
                         [fmt.number(m.best) if m else "" for m in stats], mode))
        trends = [fmt.sparkline(r.series[name][1], 16) if name in r.series else "" for r in series]
        rows.append(CompareRow(f"m:{name}:trend", f"{name} trend", trends, trends, False))
    params: dict[str, None] = {}
    for s in states:
        params.update(dict.fromkeys(s.hyperparameters))
    for name in params:
        rows.append(_row(f"hp:{name}", name, [s.hyperparameters.get(name) for s in states]))
    return rows


class CompareScreen(Screen):
    DEFAULT_CSS = """
    CompareScreen #compare-chart { height: 45%; min-height: 8; padding: 0 1; }
    CompareScreen #compare-title { height: 1; padding: 0 1; background: $boost; }
    CompareScreen #compare-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("m", "next_metric", "Next metric"),
        Binding("d", "toggle_diff", "Only differences"),
    ]

    def __init__(self, keys: Sequence[str]) -> None:
        super().__init__()
        self.keys = list(keys)
        self.only_diff = False
        self.metric: str | None = None
        self._series: dict[str, SeriesReader] = {}
        self._signature: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="compare-title")
        yield Static(id="compare-chart")
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def _states(self) -> list[ExperimentState]:
        experiments = self.app.reader.experiments
        return [experiments[k] for k in self.keys if k in experiments]

    def on_mount(self) -> None:
        self.sub_title = f"comparing {len(self.keys)} experiments"
        self.refresh_view(force=True)
        self.set_interval(self.app.interval, self.refresh_view)

    def refresh_view(self, force: bool = False) -> None:
        states = self._states()
        changed = force
        for s in states:
            reader = self._series.get(s.key)
            if reader is None:
                reader = self._series[s.key] = SeriesReader(s.path)
            changed = reader.poll() or changed
        if self.metric is None:
            names = [n for s in states for n in s.metrics]
            chosen = default_metrics(list(dict.fromkeys(names)))
            self.metric = chosen[0] if chosen else None
        signature = (tuple((s.key, s.version) for s in states), self.only_diff,
                     tuple(r.records for r in self._series.values()),
                     int(time.time()) if any(s.status == "running" for s in states) else 0)
        if signature != self._signature:
            self._signature = signature
            self._fill_table(states)
        if changed:
            self._draw_chart(states)

    def _fill_table(self, states: list[ExperimentState]) -> None:
        table = self.query_one("#compare-table", DataTable)
        rows = compare_rows(states, [self._series[s.key] for s in states], time.time())
        shown = [r for r in rows if r.differs or not self.only_diff]
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column("field", key="field")
        for s in states:
            table.add_column(f"{s.name}\n{s.experiment_id}", key=s.key)
        table.header_height = 2
        for row in shown:
            label = Text(row.label, style=DIFF_STYLE if row.differs else "")
            cells = []
            for i, text in enumerate(row.texts):
                if row.key == "status":
                    style = STATUS_STYLES.get(str(row.values[i]), "")
                elif row.best == i:
                    style = BEST_STYLE
                elif row.differs and not row.key.endswith(":trend"):
                    style = "yellow"
                else:
                    style = "cyan" if row.key.endswith(":trend") else ""
                cells.append(Text(str(text), style=style))
            table.add_row(label, *cells, key=row.key)
        if shown:
            table.move_cursor(row=min(keep, len(shown) - 1), animate=False)
        n_diff = sum(r.differs for r in rows)
        self.query_one("#compare-title", Static).update(Text.from_markup(
            f"{len(states)} experiments · [{DIFF_STYLE}]{n_diff} differing field(s)[/] · "
            f"[{BEST_STYLE}]best value[/] per metric"
            + (" · only differences" if self.only_diff else "")))

    def _draw_chart(self, states: list[ExperimentState]) -> None:
        chart = self.query_one("#compare-chart", Static)
        if self.metric is None:
            chart.update(Text("no metrics to compare yet", style="dim"))
            return
        series = {}
        for s in states:
            reader = self._series.get(s.key)
            if reader is not None and self.metric in reader.series:
                series[f"{s.name} {s.experiment_id}"] = reader.series[self.metric]
        width, height = chart.content_size.width, chart.content_size.height
        if width < 10 or height < 4:
            width, height = 70, 12
        text = Text(f"{self.metric}\n", style="bold")
        text.append_text(line_chart(series, width, height - 1))
        chart.update(text)

    def on_resize(self) -> None:
        self.call_after_refresh(lambda: self._draw_chart(self._states()))

    def action_next_metric(self) -> None:
        names = list(dict.fromkeys(n for s in self._states() for n in s.metrics))
        if not names:
            return
        i = names.index(self.metric) if self.metric in names else -1
        self.metric = names[(i + 1) % len(names)]
        self._draw_chart(self._states())

    def action_toggle_diff(self) -> None:
        self.only_diff = not self.only_diff
        self._fill_table(self._states())
