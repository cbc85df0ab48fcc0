"""The studies view: a table of HPO studies and, for the selected one, its trials live
(state, value, best so far, parameters), with the best trial highlighted."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from runner.tui import format as fmt
from runner.tui.cells import Cell
from runner.tui.grid import Grid
from runner.tui.model import header, short_labels
from runner.tui.studies import STATES, StudySnapshot, TrialRow

STATE_STYLES = {
    "COMPLETE": "green",
    "PRUNED": "yellow",
    "FAIL": "bold red",
    "RUNNING": "bold cyan",
    "WAITING": "dim",
}
BEST_STYLE = "bold black on green"
TRIAL_COLUMNS = (("best", "\n★"), ("number", "\n#"), ("state", "\nstate"), ("value", "\nvalue"),
                 ("best_so_far", "best\nso far"), ("report", "last\nreport"),
                 ("duration", "\nduration"))


def trial_cells(row: TrialRow, params: list[str]) -> list[Cell]:
    """The cells of one trial row; the best trial's row is highlighted throughout."""
    best = row.is_best
    value = fmt.number(row.value) if row.values is None else \
        ", ".join(fmt.number(v) for v in row.values)
    report = "" if row.last_report is None else \
        f"{fmt.number(row.last_report[1])} @{row.last_report[0]}"
    cells = [
        ("★" if best else "", "bold yellow"),
        (str(row.number), ""),
        (row.state, STATE_STYLES.get(row.state, "")),
        (value, "" if row.state == "COMPLETE" else "dim"),
        (fmt.number(row.best_so_far), ""),
        (report, ""),
        (fmt.duration(row.duration_s), ""),
    ]
    cells.extend((fmt.value(row.params[p]) if p in row.params else "", "") for p in params)
    return [Cell(text, BEST_STYLE if best else style) for text, style in cells]


def study_cells(snap: StudySnapshot) -> list[Text]:
    if snap.error:
        return [Text(snap.name, style="bold red"), Text(snap.source, style="dim"),
                Text(snap.error, style="red"), *[Text("") for _ in range(5)]]
    counts = " ".join(f"{snap.counts[s]} {s.lower()}" for s in STATES if snap.counts.get(s))
    best = "" if snap.best_number is None else f"{fmt.number(snap.best_value)} (#{snap.best_number})"
    running = snap.counts.get("RUNNING", 0)
    return [
        Text(snap.name, style="bold"),
        Text(snap.source, style="dim"),
        Text("/".join(snap.directions)),
        Text(snap.metric or ""),
        Text(str(sum(snap.counts.values()))),
        Text(counts),
        Text(str(running), style="bold cyan" if running else "dim"),
        Text(best, style="bold green"),
    ]


class StudiesView(Vertical):
    """Studies on top, the selected study's trials below."""

    DEFAULT_CSS = """
    StudiesView #studies-status { height: auto; padding: 0 1; color: $text-muted; }
    StudiesView #study-table { height: auto; max-height: 10; }
    StudiesView #study-head { height: 1; padding: 0 1; background: $boost; }
    StudiesView #trial-table { height: 1fr; }
    """
    BINDINGS = [Binding("enter", "open_trial", "Trial's experiment", show=True)]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.snapshots: dict[str, StudySnapshot] = {}
        self._shown_study: str | None = None
        self._params: list[str] = []

    def compose(self) -> ComposeResult:
        # kept by reference: a worker's result may arrive while the app shuts down
        self.status = Static("reading studies…", id="studies-status")
        self.study_table = DataTable(id="study-table", cursor_type="row", zebra_stripes=True)
        self.head = Static(id="study-head")
        self.trial_table = Grid(header_height=2, fixed_columns=2, id="trial-table")
        yield self.status
        yield self.study_table
        yield self.head
        yield self.trial_table

    def on_mount(self) -> None:
        studies = self.study_table
        for label in ("study", "storage", "direction", "metric", "trials", "states", "running",
                      "best"):
            studies.add_column(label, key=label)

    def focus_trials(self) -> None:
        self.trial_table.focus()

    @property
    def selected(self) -> StudySnapshot | None:
        table = self.study_table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.snapshots.get(key)

    def show(self, snapshots: list[StudySnapshot], where: str) -> None:
        """Take a fresh poll of the studies (called on the UI thread)."""
        self.snapshots = {s.key: s for s in snapshots}
        status = self.status
        status.update(f"no HPO studies in {where} yet" if not snapshots else
                      f"{len(snapshots)} stud{'y' if len(snapshots) == 1 else 'ies'} in {where}")
        table = self.study_table
        for key in [k.value for k in list(table.rows) if k.value not in self.snapshots]:
            table.remove_row(key)
        columns = [c.key.value for c in table.ordered_columns]
        for snap in snapshots:
            cells = study_cells(snap)
            if snap.key in table.rows:
                for col, cell in zip(columns, cells, strict=True):
                    table.update_cell(snap.key, col, cell, update_width=True)
            else:
                table.add_row(*cells, key=snap.key)
        self.show_trials()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "study-table":
            event.stop()
            self.show_trials()

    def show_trials(self) -> None:
        """The selected study's trials: rows updated in place, rebuilt on a new study."""
        snap = self.selected
        table = self.trial_table
        if snap is None:
            self.head.update("")
            table.set_columns([])
            self._shown_study = None
            return
        best = "" if snap.best_number is None else \
            f" · best {fmt.number(snap.best_value)} at trial {snap.best_number} ★"
        self.head.update(Text.from_markup(
            f"[bold]{escape(snap.name)}[/] · {'/'.join(snap.directions) or '?'} "
            f"{escape(snap.metric or '')} · {len(snap.trials)} trials{best}"))
        params = list(dict.fromkeys(p for t in snap.trials for p in t.params))
        if params != self._params or self._shown_study != snap.key:
            labels = short_labels(params)
            table.set_columns([*TRIAL_COLUMNS, *((f"p:{p}", header(labels[p])) for p in params)])
            self._params = params
            self._shown_study = snap.key
        numbers = {str(t.number) for t in snap.trials}
        for key in [k for k in table.visible_keys() if k not in numbers]:
            table.remove_row(key)
        for row in snap.trials:
            key, cells = str(row.number), trial_cells(row, params)
            if key not in table.rows:
                table.add_row(key, cells)
            elif not all(a.same(b) for a, b in zip(cells, table.get_row(key), strict=True)):
                table.update_row(key, cells)

    @property
    def cursor_trial(self) -> int | None:
        key = self.trial_table.cursor_key
        return int(key) if key is not None else None

    def action_open_trial(self) -> None:
        snap, number = self.selected, self.cursor_trial
        if snap is None or number is None:
            return
        trial = next((t for t in snap.trials if t.number == number), None)
        if trial is not None:
            self.app.open_trial_experiment(snap, trial)

    def on_grid_row_selected(self, event: Grid.RowSelected) -> None:
        event.stop()
        self.action_open_trial()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # Enter on a study: go down to its trials
        self.trial_table.focus()
