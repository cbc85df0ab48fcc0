"""What the experiments table shows: columns, cells, the filtered set, sorting and marks.

Pure logic over the reader's ExperimentState objects (no Textual), updated per change so
a tick with ten changed experiments costs ten rows of work, not a thousand. The columns
are the fixed ones, the latest and best value of the main metrics, and the
hyperparameters whose values differ between the experiments shown.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from runner.tracking import liveness
from runner.tracking.summary import metric_mode
from runner.tui import format as fmt
from runner.tui.cells import STATUS_ORDER, STATUS_STYLES, Cell
from runner.tui.experiment import ENDED, PROBLEM_STATUSES, STATUSES, ExperimentState
from runner.tui.filters import Filter, haystack, matches

# Metrics shown first when present; others follow by how many experiments log them.
PREFERRED_METRICS = ("val_loss", "val_accuracy", "loss", "accuracy", "val_acc", "acc")
# Bookkeeping metrics: shown only when nothing else is logged.
MINOR_METRIC_TOKENS = ("time", "lr", "learning_rate", "epoch", "throughput")
STATUS_CYCLE = (None, *STATUSES, "problem")
MAX_METRICS = 3
MAX_HPARAMS = 8


@dataclass(frozen=True)
class Column:
    key: str
    label: str


def _mark(model: ExperimentsModel, s: ExperimentState, now: float) -> Cell:
    return Cell("●", "bold yellow", 0) if s.key in model.marked else Cell(" ", "", 1)


def _name(model: ExperimentsModel, s: ExperimentState, now: float) -> Cell:
    flagged = bool(s.warnings or s.bad_lines or s.torn_tail)
    return Cell(s.name + (" ⚠" if flagged else ""), "", s.name)


def _id(model: ExperimentsModel, s: ExperimentState, now: float) -> Cell:
    return Cell(s.experiment_id, "dim", s.experiment_id)


def _status(model: ExperimentsModel, s: ExperimentState, now: float) -> Cell:
    if seems_dead(s, now):
        return Cell(liveness.SUSPECT, "dim cyan", STATUS_ORDER.get(s.status, 99))
    return Cell(s.status, STATUS_STYLES.get(s.status, ""), STATUS_ORDER.get(s.status, 99))


def seems_dead(s: ExperimentState, now: float) -> bool:
    """A "running" experiment that seems dead, by the store's one liveness rule."""
    return s.status == "running" and liveness.seems_dead(
        s.metadata, s.last_update or s.start_timestamp, now)


def _start(model: ExperimentsModel, s: ExperimentState, now: float) -> Cell:
    return Cell(fmt.start(s.start_timestamp), "", s.start_timestamp)


def elapsed(s: ExperimentState, now: float) -> float | None:
    """Run time: recorded for ended runs, so far for running ones (up to the last log for
    one whose process is gone)."""
    if s.duration_s is not None or s.status in ENDED:
        return s.duration_s
    if s.status == "running" and s.start_timestamp is not None:
        end = s.last_update if seems_dead(s, now) and s.last_update else now
        return max(0.0, end - s.start_timestamp)
    return None


def _duration(model: ExperimentsModel, s: ExperimentState, now: float) -> Cell:
    seconds = elapsed(s, now)
    return Cell(fmt.duration(seconds), "", seconds)


def _steps(model: ExperimentsModel, s: ExperimentState, now: float) -> Cell:
    return Cell("" if s.last_step is None else str(s.last_step), "", s.last_step)


def _mirrors(model: ExperimentsModel, s: ExperimentState, now: float) -> Cell:
    names = [MIRROR_SHORT.get(str(m.get("backend")), str(m.get("backend")))
             for m in s.mirrors if not m.get("error")]
    return Cell(" ".join(names), "cyan", " ".join(names) or None)


MIRROR_SHORT = {"mlflow": "mlflow", "tensorboard": "tb", "wandb": "wandb"}
CellFn = Callable[["ExperimentsModel", ExperimentState, float], Cell]
FIXED_COLUMNS: tuple[tuple[str, str, CellFn], ...] = (
    ("mark", " ", _mark),
    ("name", "name", _name),
    ("id", "id", _id),
    ("status", "status", _status),
    ("start", "start", _start),
    ("duration", "duration", _duration),
    ("steps", "steps", _steps),
)
FIXED_FNS = {key: fn for key, _, fn in FIXED_COLUMNS}
TIME_COLUMNS = ("status", "duration")  # cells that change with the clock while a run is live


class HyperparameterDiff:
    """Counts of each hyperparameter value over a set of experiments, updated one by one."""

    def __init__(self) -> None:
        self.values: dict[str, Counter[str]] = {}
        self.order: dict[str, None] = {}
        self._members: dict[str, dict[str, str]] = {}

    def add(self, key: str, tokens: dict[str, str]) -> None:
        self.remove(key)
        self._members[key] = tokens
        for name, tok in tokens.items():
            self.values.setdefault(name, Counter())[tok] += 1
            self.order.setdefault(name, None)

    def remove(self, key: str) -> None:
        tokens = self._members.pop(key, None)
        if not tokens:
            return
        for name, tok in tokens.items():
            counter = self.values[name]
            counter[tok] -= 1
            if counter[tok] <= 0:
                del counter[tok]

    def differing(self) -> list[str]:
        """Hyperparameters with at least two distinct values, in first-seen order."""
        return [name for name in self.order if len(self.values.get(name) or ()) > 1]


def short_labels(keys: Sequence[str]) -> dict[str, str]:
    """Shortest dotted suffix of each key that no other key ends with."""
    parts = {k: k.replace("[", ".[").strip(".").split(".") for k in keys}
    out = {}
    for key, comps in parts.items():
        for n in range(1, len(comps) + 1):
            suffix = comps[-n:]
            clash = any(o != key and parts[o][-n:] == suffix for o in keys)
            if not clash:
                break
        out[key] = ".".join(suffix).replace(".[", "[")
    return out


def header(label: str) -> str:
    """Two header lines: the context above, the leaf name below."""
    head, dot, leaf = label.rpartition(".")
    return f"{head}\n{leaf}" if dot and head else f"\n{label}"


class ExperimentsModel:
    """Filtered, sorted rows of the experiments table, and the summary line."""

    def __init__(
        self, experiments: dict[str, ExperimentState], metrics: Sequence[str] | None = None,
        max_metrics: int = MAX_METRICS, max_hparams: int = MAX_HPARAMS,
    ) -> None:
        self.experiments = experiments
        self.fixed_metrics = list(metrics) if metrics else None
        self.max_metrics = max_metrics
        self.max_hparams = max_hparams
        self.filter = Filter()
        self.status_filter: str | None = None
        self.sort_column = "start"
        self.sort_reverse = True
        self.marked: set[str] = set()
        self.visible: set[str] = set()
        self.hparams = HyperparameterDiff()
        self._metric_counts: Counter[str] = Counter()
        self._metric_names: dict[str, tuple[str, ...]] = {}
        self._haystacks: dict[str, tuple[int, str]] = {}
        self._mirrored: set[str] = set()

    # ------------------------------------------------------------------ updates

    def _passes(self, state: ExperimentState) -> bool:
        wanted = self.status_filter
        if wanted == "problem":
            if state.readable and not (state.warnings or state.bad_lines):
                return False
        elif wanted is not None and state.status != wanted:
            return False
        if not self.filter:
            return True
        cached = self._haystacks.get(state.key)
        if cached is None or cached[0] != state.version:
            cached = self._haystacks[state.key] = (state.version, haystack(state))
        return matches(self.filter, state, cached[1])

    def _track(self, key: str) -> None:
        state = self.experiments.get(key)
        names = tuple(state.metrics) if state is not None else ()
        old = self._metric_names.get(key, ())
        if names != old:
            self._metric_counts.subtract(old)
            self._metric_counts.update(names)
            self._metric_names[key] = names
        if state is not None and state.mirrors:
            self._mirrored.add(key)
        else:
            self._mirrored.discard(key)
        if state is not None and self._passes(state):
            self.visible.add(key)
            self.hparams.add(key, state.hp_tokens)
        else:
            self.visible.discard(key)
            self.hparams.remove(key)

    def sync(self, changed: Iterable[str], removed: Iterable[str]) -> None:
        """Take in the experiments a reader poll reported."""
        for key in removed:
            self._haystacks.pop(key, None)
            self.marked.discard(key)
            self._track(key)
            self._metric_names.pop(key, None)
        for key in changed:
            self._track(key)

    def refilter(self) -> None:
        """Recompute the visible set from scratch (after the filter changed)."""
        self.visible = set()
        self.hparams = HyperparameterDiff()
        for key in self.experiments:
            self._track(key)

    def set_filter(self, flt: Filter, refilter: bool = True) -> None:
        """`refilter=False` while the first load is still filling the experiments (in a
        thread): they are then filtered as they arrive."""
        self.filter = flt
        if refilter:
            self.refilter()

    def cycle_status(self, refilter: bool = True) -> str | None:
        i = STATUS_CYCLE.index(self.status_filter) if self.status_filter in STATUS_CYCLE else 0
        self.status_filter = STATUS_CYCLE[(i + 1) % len(STATUS_CYCLE)]
        if refilter:
            self.refilter()
        return self.status_filter

    # ----------------------------------------------------------------- columns

    def main_metrics(self) -> list[str]:
        if self.fixed_metrics:
            return self.fixed_metrics

        def rank(name: str) -> tuple:
            if name in PREFERRED_METRICS:
                first = PREFERRED_METRICS.index(name)
            else:
                first = 100 if any(t in name.lower() for t in MINOR_METRIC_TOKENS) else 50
            return (first, -self._metric_counts[name], name)

        names = [n for n, c in self._metric_counts.items() if c > 0]
        return sorted(names, key=rank)[: self.max_metrics]

    def hparam_columns(self) -> list[str]:
        return self.hparams.differing()[: self.max_hparams]

    def columns(self) -> list[Column]:
        cols = [Column(key, f"\n{label}") for key, label, _ in FIXED_COLUMNS]
        for name in self.main_metrics():
            arrow = "↓" if metric_mode(name) == "min" else "↑"
            cols.append(Column(f"m:{name}:last", f"{name}\nlast"))
            cols.append(Column(f"m:{name}:best", f"\nbest{arrow}"))
        if self._mirrored:
            cols.append(Column("mirrors", "\nmirrors"))
        hps = self.hparam_columns()
        labels = short_labels(hps)
        cols.extend(Column(f"hp:{k}", header(labels[k])) for k in hps)
        return cols

    # ------------------------------------------------------------------- cells

    def cell(self, state: ExperimentState, column: str, now: float | None = None) -> Cell:
        now = time.time() if now is None else now
        fn = FIXED_FNS.get(column)
        if fn is not None:
            return fn(self, state, now)
        if column == "mirrors":
            return _mirrors(self, state, now)
        kind, _, rest = column.partition(":")
        if kind == "m":
            name, _, which = rest.rpartition(":")
            stats = state.metrics.get(name)
            if stats is None:
                return Cell("", "", None)
            if which == "last":
                return Cell(fmt.number(stats.last), "", stats.last)
            return Cell(fmt.number(stats.best), "bold", stats.best)
        if kind == "hp":
            if rest not in state.hyperparameters:
                return Cell("", "", None)
            item = state.hyperparameters[rest]
            return Cell(fmt.value(item), "", item if isinstance(item, (int, float, str)) else
                        fmt.value(item))
        return Cell("", "", None)

    def row(self, state: ExperimentState, columns: Sequence[Column],
            now: float | None = None) -> list[Cell]:
        now = time.time() if now is None else now
        return [self.cell(state, c.key, now) for c in columns]

    def ordered_visible(self) -> list[str]:
        """Visible keys in the current sort order (for rebuilding the table)."""
        from runner.tui.cells import sort_tuple

        now = time.time()
        reverse = self.sort_reverse

        def key(k: str) -> tuple:
            return sort_tuple(self.cell(self.experiments[k], self.sort_column, now).sort_value,
                              reverse)

        return sorted(self.visible, key=key, reverse=reverse)

    # ----------------------------------------------------------------- summary

    def status_counts(self) -> Counter[str]:
        return Counter(s.status for s in self.experiments.values())

    def summary(self, columns: Sequence[Column] | None = None) -> str:
        counts = self.status_counts()
        total = len(self.experiments)
        parts = [f"{total} experiment{'s' if total != 1 else ''}"]
        for status in (*STATUSES, *PROBLEM_STATUSES):
            if counts.get(status):
                style = STATUS_STYLES.get(status, "")
                parts.append(f"[{style}]{counts[status]} {status}[/]")
        others = sum(n for s, n in counts.items() if s not in STATUS_STYLES)
        if others:
            parts.append(f"{others} other")
        line = " · ".join(parts)
        shown = [f"showing {len(self.visible)}"]
        if self.status_filter:
            shown.append(f"status={self.status_filter}")
        if self.filter:
            shown.append(f"filter “{_escape(self.filter.text)}”")
        label = {c.key: c.label.replace("\n", " ").strip() for c in columns or ()}
        shown.append(f"sort {label.get(self.sort_column, self.sort_column)} "
                     f"{'↓' if self.sort_reverse else '↑'}")
        if self.marked:
            shown.append(f"[bold yellow]{len(self.marked)} marked[/]")
        return f"{line}  │  {' · '.join(shown)}"


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
