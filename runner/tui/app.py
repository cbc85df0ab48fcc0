"""The `neural tui` application: experiments and studies tabs, live.

Start-up reads the store once in a thread worker (so a big store never freezes the first
frame); after that a timer calls `refresh_tick()` on the event loop: one incremental poll
of the store (bounded bytes) and a row-by-row update of the table. Studies are polled in a
thread worker, only while their tab is shown, since a database may be slow to answer.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane

from runner.tracking.errors import StoreWarning
from runner.tui.compare import CompareScreen
from runner.tui.confirm import ConfirmScreen
from runner.tui.detail import DetailScreen
from runner.tui.experiment import ExperimentState
from runner.tui.experiments_table import ExperimentsTable
from runner.tui.filters import parse_filter
from runner.tui.mirrors import mirror_hints
from runner.tui.model import ExperimentsModel
from runner.tui.reader import DEFAULT_BUDGET, Changes, StoreReader
from runner.tui.studies import StudiesReader, StudySnapshot, TrialRow
from runner.tui.studies_view import StudiesView

FILTER_DELAY_S = 0.25


class NeuralTUI(App):
    TITLE = "neural tui"
    CSS = """
    #summary { height: 1; padding: 0 1; background: $boost; }
    #filter { display: none; height: 3; }
    #filter.shown { display: block; }
    #experiments-table { height: 1fr; }
    #tabs { height: 1fr; }
    #tabs > ContentSwitcher { height: 1fr; }
    #tabs TabPane { padding: 0; height: 1fr; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("1", "show_tab('experiments')", "Experiments", show=False),
        Binding("2", "show_tab('studies')", "Studies"),
        Binding("r", "refresh_now", "Refresh", show=False),
    ]

    def __init__(
        self, base_dir: str | Path, storage: str | None = None, interval: float = 1.0,
        metrics: Sequence[str] | None = None, max_bytes: int | None = DEFAULT_BUDGET,
        studies_interval: float | None = None,
    ) -> None:
        super().__init__()
        self.base_dir = Path(base_dir)
        self.storage = storage
        self.interval = interval
        # a database is asked for every trial of every study: not more than every 2 s
        self.studies_interval = max(interval, 2.0) if studies_interval is None \
            else studies_interval
        self._studies_polled = 0.0
        self.max_bytes = max_bytes
        self.reader = StoreReader(self.base_dir)
        self.model = ExperimentsModel(self.reader.experiments, metrics=metrics)
        self.studies_reader = StudiesReader(self.base_dir, storage)
        self.loaded = False
        self._studies_busy = False
        self._last_tick: Changes | None = None
        self._filter_timer: Timer | None = None
        self.sub_title = str(self.base_dir)

    def compose(self) -> ComposeResult:
        # Widgets are kept by reference: timers and worker callbacks may run while another
        # screen is on top (or while the app shuts down), when a query would find nothing.
        self.summary = Static(f"reading {escape(str(self.base_dir))}…", id="summary")
        self.filter_box = Input(placeholder="filter: words, status:running, tag:key=value, "
                                            "-word (Enter applies, Esc clears)", id="filter",
                                select_on_focus=False)
        self.table = ExperimentsTable(self.model, id="experiments-table")
        self.studies_view = StudiesView(id="studies-view")
        yield Header()
        with TabbedContent(id="tabs", initial="experiments") as self.tabs:
            with TabPane("Experiments [1]", id="experiments"):
                with Vertical():
                    yield self.summary
                    yield self.filter_box
                    yield self.table
            with TabPane("Studies [2]", id="studies"):
                yield self.studies_view
        yield Footer(compact=True, show_command_palette=False)

    # ------------------------------------------------------------------ loading

    def on_mount(self) -> None:
        warnings.simplefilter("ignore", StoreWarning)  # never print over the screen
        self.table.focus()
        self._initial_load()

    @work(thread=True, exclusive=True, group="store")
    def _initial_load(self) -> None:
        changes = self.reader.poll(max_bytes=None)
        self.call_from_thread(self._loaded, changes)

    def _loaded(self, changes: Changes) -> None:
        self.table.apply(changes.changed, changes.removed)
        self.loaded = True
        self.refresh_summary()
        self.set_interval(self.interval, self.refresh_tick)

    def refresh_tick(self) -> Changes:
        """One live update: read what changed in the store and update those rows."""
        changes = self.reader.poll(self.max_bytes)
        self.table.apply(changes.changed, changes.removed)
        if changes or self.model.marked or self._last_tick is None:
            self.refresh_summary()
        self._last_tick = changes
        if changes.backlog:
            self.call_later(self.refresh_tick)  # keep reading a large backlog, in slices
        if self._studies_shown():
            self.poll_studies()
        return changes

    def refresh_summary(self) -> None:
        summary = self.summary
        text = self.model.summary(self.table.columns_now)
        if self.reader.base_error:
            text = f"[bold red]{escape(self.reader.base_error)}[/]  {text}"
        elif not self.reader.experiments:
            text = f"no experiments in {escape(str(self.base_dir))} yet (waiting for runs…)"
        summary.update(text)

    def action_refresh_now(self) -> None:
        if self.loaded:
            self.refresh_tick()

    # ------------------------------------------------------------------ studies

    def _studies_shown(self) -> bool:
        return self.tabs.active == "studies"

    def poll_studies(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._studies_busy or (not force and now - self._studies_polled
                                  < self.studies_interval):
            return
        self._studies_busy = True
        self._studies_polled = now
        self._poll_studies()

    @work(thread=True, group="studies")
    def _poll_studies(self) -> None:
        try:
            snapshots = self.studies_reader.poll()
        except Exception as exc:  # never let a storage problem end the app
            snapshots = [StudySnapshot(key="error::", name="(error)", source=str(self.storage),
                                       directions=[], metric=None, error=str(exc))]
        finally:
            self._studies_busy = False
        try:
            self.call_from_thread(self._show_studies, snapshots)
        except RuntimeError:  # the app closed while the storage was being read
            pass

    def _show_studies(self, snapshots: list[StudySnapshot]) -> None:
        where = self.storage or str(self.base_dir / "hpo")
        self.studies_view.show(snapshots, where)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "studies":
            self.poll_studies(force=True)
            self.studies_view.focus_trials()
        elif event.pane.id == "experiments":
            self.table.focus()

    def action_show_tab(self, tab: str) -> None:
        self.tabs.active = tab

    def open_trial_experiment(self, study: StudySnapshot, trial: TrialRow) -> None:
        experiments = self.reader.experiments
        key = Path(trial.experiment_dir).name if trial.experiment_dir else None
        if key not in experiments:
            key = next((k for k, s in experiments.items()
                        if s.tags.get("study") == study.name
                        and s.tags.get("trial") == str(trial.number)), None)
        if key is None:
            self.notify(f"trial {trial.number} has no tracked experiment in {self.base_dir}",
                        severity="warning")
            return
        self.push_screen(DetailScreen(key))

    # ------------------------------------------------------------- experiments

    def on_grid_row_selected(self, event: ExperimentsTable.RowSelected) -> None:
        if event.grid.id == "experiments-table":
            event.stop()
            self.push_screen(DetailScreen(event.key))

    def _target_keys(self) -> list[str]:
        """The marked experiments, else the one under the cursor."""
        table = self.table
        if self.model.marked:
            return [k for k in table.visible_keys() if k in self.model.marked] + sorted(
                k for k in self.model.marked if k not in table.rows)
        key = table.cursor_key
        return [key] if key else []

    def action_compare(self) -> None:
        keys = [k for k in self.table.visible_keys() if k in self.model.marked]
        if len(keys) < 2:
            self.notify("mark at least two experiments with space, then press c",
                        severity="warning")
            return
        self.push_screen(CompareScreen(keys))

    def action_filter(self) -> None:
        box = self.filter_box
        box.add_class("shown")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":  # apply once typing pauses: a rebuild is not free
            if self._filter_timer is not None:
                self._filter_timer.stop()
            self._filter_timer = self.set_timer(FILTER_DELAY_S, self._apply_filter)

    def _apply_filter(self) -> None:
        self._filter_timer = None
        flt = parse_filter(self.filter_box.value)
        if flt != self.model.filter:
            self.model.set_filter(flt, refilter=self.loaded)
            self._refilled()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self._apply_filter()
            if not event.value.strip():
                event.input.remove_class("shown")
            self.table.focus()

    def on_key(self, event) -> None:
        box = self.filter_box
        if event.key == "escape" and self.focused is box:
            event.stop()
            box.value = ""
            box.remove_class("shown")
            self.table.focus()

    def action_cycle_status(self) -> None:
        self.model.cycle_status(refilter=self.loaded)
        self._refilled()

    def _refilled(self) -> None:
        if self.loaded:
            self.table.rebuild()
            self.refresh_summary()

    def action_clear(self) -> None:
        """Esc on the table: drop the marks, then the filters."""
        if self.model.marked:
            marked = list(self.model.marked)
            self.model.marked.clear()
            for key in marked:
                self.table.redraw_row(key)
        elif self.model.filter or self.model.status_filter:
            box = self.filter_box
            box.value = ""
            box.remove_class("shown")
            if self._filter_timer is not None:
                self._filter_timer.stop()
                self._filter_timer = None
            self.model.status_filter = None
            self.model.set_filter(parse_filter(""), refilter=self.loaded)
            self._refilled()
            return
        self.refresh_summary()

    def action_mirror_hint(self) -> None:
        key = self.table.cursor_key
        state = self.reader.experiments.get(key) if key else None
        if state is not None:
            self.show_mirror_hint(state)

    def show_mirror_hint(self, state: ExperimentState) -> None:
        hints = mirror_hints(state.mirrors)
        if not hints:
            self.notify(f"{state.name} ({state.experiment_id}) has no MLflow / TensorBoard / "
                        "W&B mirror; start runs with --backend to get one", severity="warning")
            return
        self.notify("\n".join(escape(h) for h in hints), title="Open in…", timeout=12)
        command = next((h.split(": ", 1)[1].split("   (")[0] for h in hints
                        if h.startswith(("MLflow:", "TensorBoard:"))), None)
        if command:
            self.copy_to_clipboard(command)

    # ------------------------------------------------------------------ delete

    def action_delete(self) -> None:
        keys = self._target_keys()
        if not keys:
            return
        experiments = self.reader.experiments
        lines = []
        for key in keys[:15]:
            s = experiments.get(key)
            if s is None:
                continue
            live = "  [bold red]still running![/]" if s.status == "running" else ""
            lines.append(f"  • {escape(s.name)} ({s.experiment_id}) {escape(str(s.path))}{live}")
        if len(keys) > 15:
            lines.append(f"  … and {len(keys) - 15} more")
        what = "this experiment" if len(keys) == 1 else f"these {len(keys)} experiments"
        question = (f"[bold]Delete {what}?[/]\n" + "\n".join(lines) +
                    "\n\nTheir folders (metrics, artifacts, plots) are removed from disk.")

        def done(yes: bool | None) -> None:
            if yes:
                self._delete(keys)

        self.push_screen(ConfirmScreen(question), done)

    def _delete(self, keys: list[str]) -> None:
        from runner.tracking.errors import TrackingError
        from runner.tracking.manager import ExperimentManager

        manager = ExperimentManager(self.base_dir)
        deleted, failed = 0, []
        for key in keys:
            try:
                if manager.delete_experiment(key):
                    deleted += 1
                else:
                    failed.append(f"{key}: not an experiment the manager knows (no "
                                  f"metadata.json); remove the folder by hand if unwanted")
            except (TrackingError, OSError) as exc:
                failed.append(f"{key}: {exc}")
        self.model.marked.difference_update(keys)
        if deleted:
            self.notify(f"deleted {deleted} experiment{'s' if deleted != 1 else ''}")
        for message in failed:
            self.notify(escape(message), severity="error", timeout=10)
        self.refresh_tick()
        self.table.rebuild()
        self.refresh_summary()
