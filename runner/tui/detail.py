"""The detail view of one experiment: curves, statistics, hyperparameters, artifacts,
environment, and how to open its mirrors. It follows the experiment live."""

from __future__ import annotations

import datetime as _dt
import os
import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
)

from runner.tracking.summary import metric_mode
from runner.tui import format as fmt
from runner.tui.cells import STATUS_STYLES
from runner.tui.charts import line_chart
from runner.tui.experiment import ExperimentState
from runner.tui.history import SeriesReader
from runner.tui.mirrors import mirror_hints
from runner.tui.model import PREFERRED_METRICS, elapsed, seems_dead

TABS = ("metrics", "hyperparameters", "artifacts", "environment")


def default_metrics(names: list[str]) -> list[str]:
    """What to plot first: the main loss with its validation twin, else the first metric."""
    for name in PREFERRED_METRICS:
        if name in names:
            twin = name[4:] if name.startswith("val_") else f"val_{name}"
            return [n for n in (name, twin) if n in names]
    return names[:1]


def flatten_env(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Environment metadata as (dotted key, text) rows."""
    if isinstance(value, dict):
        rows = []
        for key, item in value.items():
            rows.extend(flatten_env(item, f"{prefix}{key}."))
        return rows
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return [(prefix.rstrip("."), " ".join(str(v) for v in value))]
        rows = []
        for i, item in enumerate(value):
            rows.extend(flatten_env(item, f"{prefix}{i}."))
        return rows
    if prefix.endswith("memory_bytes.") and isinstance(value, int):
        return [(prefix.rstrip("."), fmt.size(value))]
    return [(prefix.rstrip("."), "" if value is None else str(value))]


_SECONDS = "%m-%d %H:%M:%S"


def _when(iso: str | None, timestamp: float | None = None) -> str:
    """A short local time: the ISO text the tracker writes, or a timestamp."""
    if iso:
        try:
            return _dt.datetime.fromisoformat(iso).strftime(_SECONDS)
        except (ValueError, TypeError):
            return str(iso)
    if timestamp is not None:
        return fmt.start(timestamp, _SECONDS)
    return "?"


def info_text(state: ExperimentState, now: float) -> Text:
    """The header block: identity, status, times, tags, problems and mirror hints."""
    text = Text()
    text.append(f"{state.name}", style="bold")
    text.append(f"  {state.experiment_id}  ", style="dim")
    text.append(state.status, style=STATUS_STYLES.get(state.status, ""))
    text.append(f"  {state.path}", style="dim")
    line = f"\nstarted {_when(state.start_time, state.start_timestamp)}"
    if state.end_time:
        line += f" → {_when(state.end_time)}"
    line += f" · {fmt.duration(elapsed(state, now)) or '—'}"
    line += f" · step {state.last_step if state.last_step is not None else '—'}"
    line += f" · {state.records} records"
    if state.last_update:
        line += f" · last log {fmt.duration(max(0.0, now - state.last_update))} ago"
    text.append(line)
    extras = []
    if state.tags:
        extras.append(("tags ", " ".join(f"{k}={v}" if v else k for k, v in state.tags.items())))
    if state.notes:
        extras.append(("notes ", state.notes))
    for i, (label, value) in enumerate(extras):
        text.append("\n" if i == 0 else " · ")
        text.append(label, style="dim")
        text.append(value)
    if seems_dead(state, now):
        pid = state.metadata["environment"]["command"]["pid"]
        text.append(f"\nprocess {pid} that ran it is gone and nothing was logged since "
                    f"{_when(None, state.last_update or state.start_timestamp)}: it was probably "
                    "killed (the status stays 'running')", style="yellow")
    if state.metadata.get("error"):
        text.append(f"\nerror: {state.metadata['error']}", style="red")
    if state.problem:
        text.append(f"\n{state.status}: {state.problem}", style="bold red")
    for warning in state.warnings:
        text.append(f"\n⚠ {warning}", style="yellow")
    if state.bad_lines:
        text.append(f"\n⚠ metrics.jsonl: {state.bad_lines} unreadable line(s) skipped",
                    style="yellow")
    if state.torn_tail:
        text.append("\n⚠ metrics.jsonl ends in an unterminated line (a writer is mid-write, "
                    "or was killed)", style="yellow")
    for hint in mirror_hints(state.mirrors):
        text.append(f"\n⧉ {hint}", style="cyan")
    return text


class DetailScreen(Screen):
    DEFAULT_CSS = """
    DetailScreen #info { height: auto; max-height: 14; padding: 0 1; background: $boost; }
    DetailScreen #metric-list { width: 24; height: 1fr; }
    DetailScreen #chart { height: 1fr; min-height: 7; padding: 0 1; }
    DetailScreen #metric-stats { height: auto; max-height: 35%; }
    DetailScreen #detail-tabs { height: 1fr; }
    DetailScreen #detail-tabs > ContentSwitcher { height: 1fr; }
    DetailScreen TabPane { padding: 0; height: 1fr; }
    DetailScreen TabPane > DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("1", "tab('metrics')", "Metrics"),
        Binding("2", "tab('hyperparameters')", "Params"),
        Binding("3", "tab('artifacts')", "Artifacts"),
        Binding("4", "tab('environment')", "Env"),
        Binding("v", "verify", "Verify"),
        Binding("o", "mirror_hint", "Mirrors"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        state = self.state
        self.series = SeriesReader(state.path) if state is not None and state.readable else None
        self._seen_version = -1
        self._artifacts_sig: tuple | None = None
        self._verified: dict[tuple[str, int], bool] = {}
        self._verified_changed = False
        self._selected: list[str] | None = None
        self._series_dirty = True

    @property
    def state(self) -> ExperimentState | None:
        return self.app.reader.experiments.get(self.key)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="info")
        with TabbedContent(id="detail-tabs", initial="metrics"):
            with TabPane("Metrics", id="metrics"):
                with Horizontal():
                    yield SelectionList[str](id="metric-list")
                    with Vertical():
                        yield Static(id="chart")
                        yield DataTable(id="metric-stats", cursor_type="row", zebra_stripes=True)
            with TabPane("Hyperparameters", id="hyperparameters"):
                yield DataTable(id="hparams", cursor_type="row", zebra_stripes=True)
            with TabPane("Artifacts", id="artifacts"):
                yield DataTable(id="artifact-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Environment", id="environment"):
                yield DataTable(id="env", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        state = self.state
        self.sub_title = f"{state.name} ({state.experiment_id})" if state else self.key
        stats = self.query_one("#metric-stats", DataTable)
        for label in ("metric", "count", "last", "best", "best step", "min", "max", "trend"):
            stats.add_column(label, key=label)
        self.query_one("#hparams", DataTable).add_columns("hyperparameter", "value")
        self.query_one("#artifact-table", DataTable).add_columns(
            "artifact", "version", "type", "size", "sha256", "logged", "verified")
        self.query_one("#env", DataTable).add_columns("environment", "value")
        self.refresh_view()
        self.set_interval(self.app.interval, self.refresh_view)

    def action_tab(self, tab: str) -> None:
        self.query_one("#detail-tabs", TabbedContent).active = tab

    # ------------------------------------------------------------------ refresh

    def refresh_view(self) -> None:
        state = self.state
        info = self.query_one("#info", Static)
        if state is None:
            info.update(Text(f"{self.key}: this experiment no longer exists (deleted?)",
                             style="bold red"))
            return
        now = time.time()
        info.update(info_text(state, now))
        if state.version != self._seen_version:
            self._seen_version = state.version
            self._fill_hparams(state)
            self._fill_env(state)
        self._fill_artifacts(state)
        if self.series is not None and state.readable:
            try:
                if self.series.poll():
                    self._series_dirty = True
            except OSError as exc:  # the log turned into something unreadable under us
                self.series = None
                self._series_dirty = True
                self.notify(f"cannot read metrics.jsonl: {exc.strerror or exc}", severity="error")
        if self._series_dirty:
            self._series_dirty = False
            self._fill_metric_list()
            self._fill_stats()
            self._draw_chart()

    def on_resize(self) -> None:
        self.call_after_refresh(self._draw_chart)

    # ------------------------------------------------------------------ metrics

    def _fill_metric_list(self) -> None:
        names = self.series.names() if self.series else []
        chooser = self.query_one("#metric-list", SelectionList)
        if self._selected is None and names:
            self._selected = default_metrics(names)
        known = {chooser.get_option_at_index(i).value for i in range(chooser.option_count)}
        for name in names:
            if name not in known:
                chooser.add_option((name, name, name in (self._selected or ())))

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        self._selected = list(event.selection_list.selected)
        self._draw_chart()

    def _fill_stats(self) -> None:
        table = self.query_one("#metric-stats", DataTable)
        for name, (steps, values) in (self.series.series if self.series else {}).items():
            mode = metric_mode(name)
            finite = [(v, s) for s, v in zip(steps, values, strict=True) if v == v]
            best = (min if mode == "min" else max)(finite, default=(None, None))
            row = (name, str(len(values)), fmt.number(values[-1] if values else None),
                   Text(fmt.number(best[0]), style="bold green"),
                   "" if best[1] is None else str(best[1]),
                   fmt.number(min(finite)[0] if finite else None),
                   fmt.number(max(finite)[0] if finite else None),
                   Text(fmt.sparkline(values, 24), style="cyan"))
            if name in table.rows:
                for label, cell in zip(("count", "last", "best", "best step", "min", "max",
                                        "trend"), row[1:], strict=True):
                    table.update_cell(name, label, cell, update_width=True)
            else:
                table.add_row(*row, key=name)

    def _draw_chart(self) -> None:
        chart = self.query_one("#chart", Static)
        if not self.series or not self.series.series:
            chart.update(Text("no metrics logged yet", style="dim"))
            return
        selected = [n for n in (self._selected or []) if n in self.series.series]
        if not selected:
            chart.update(Text("select metrics on the left (space) to plot them", style="dim"))
            return
        width, height = chart.content_size.width, chart.content_size.height
        if width < 10 or height < 4:
            width, height = 70, 14
        chart.update(line_chart({n: self.series.series[n] for n in selected}, width, height))

    # --------------------------------------------------------------- the others

    def _fill_hparams(self, state: ExperimentState) -> None:
        table = self.query_one("#hparams", DataTable)
        table.clear()
        for key, value in state.hyperparameters.items():
            table.add_row(key, fmt.value(value, limit=200, exact=True))
        if not state.hyperparameters:
            table.add_row(Text("none logged", style="dim"), "")

    def _fill_env(self, state: ExperimentState) -> None:
        table = self.query_one("#env", DataTable)
        table.clear()
        env = state.metadata.get("environment")
        for key, value in flatten_env(env) if env else []:
            table.add_row(key, value)
        if not env:
            table.add_row(Text("not captured", style="dim"), "")

    def _fill_artifacts(self, state: ExperimentState) -> None:
        from runner.tracking.artifacts import INDEX_FILE, ArtifactStore

        try:
            st = os.stat(state.path / INDEX_FILE)
            sig: tuple | None = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            sig = None
        if sig == self._artifacts_sig and not self._verified_changed:
            return
        self._artifacts_sig = sig
        self._verified_changed = False
        table = self.query_one("#artifact-table", DataTable)
        table.clear()
        store = ArtifactStore(state.path)
        try:
            entries = [(n, v) for n in store.names() for v in store.versions(n)]
        except Exception as exc:  # a damaged artifacts.json
            table.add_row(Text(f"artifacts.json unreadable: {exc}", style="red"),
                          "", "", "", "", "", "")
            return
        for name, version in entries:
            ok = self._verified.get((name, version.version))
            mark = "" if ok is None else Text("✓", style="green") if ok else \
                Text("✗ changed", style="bold red")
            logged = fmt.start(version.timestamp, _SECONDS) \
                if isinstance(version.timestamp, (int, float)) else ""
            table.add_row(name, f"v{version.version}", version.type, fmt.size(version.size),
                          version.checksum[:16] + "…", logged, mark)
        if not entries:
            table.add_row(Text("none logged", style="dim"), "", "", "", "", "", "")

    def action_verify(self) -> None:
        state = self.state
        if state is not None:
            self.notify("verifying artifact checksums…")
            self._verify(state.path)

    @work(thread=True, exclusive=True, group="verify")
    def _verify(self, path) -> None:
        from runner.tracking.artifacts import ArtifactStore

        try:
            result = ArtifactStore(path).verify_all()
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"cannot verify: {exc}", severity="error")
            return
        flat = {(n, v): ok for n, versions in result.items() for v, ok in versions.items()}
        self.app.call_from_thread(self._verified_done, flat)

    def _verified_done(self, flat: dict[tuple[str, int], bool]) -> None:
        self._verified = flat
        self._verified_changed = True
        bad = [f"{n} v{v}" for (n, v), ok in flat.items() if not ok]
        if bad:
            self.notify("checksum mismatch: " + ", ".join(bad), severity="error")
        else:
            self.notify(f"{len(flat)} artifact version(s) match their SHA-256")
        state = self.state
        if state is not None:
            self._fill_artifacts(state)

    def action_mirror_hint(self) -> None:
        state = self.state
        if state is not None:
            self.app.show_mirror_hint(state)
