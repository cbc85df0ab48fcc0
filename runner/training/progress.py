"""Rich progress on the terminal: one bar per epoch that stays, with the epoch's metrics beside it.

Written to stderr so stdout keeps only what the command prints (final metrics). quiet=True turns
it into no-ops (tests, HPO trials). When stderr is not a terminal (`2>&1 | tee log`, a CI job,
an editor's output channel) each epoch is one plain line written as it ends: rich's progress
would show nothing there until the run is over.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from types import TracebackType

UPDATE_EVERY = 0.1  # seconds; rich redraws 10 times a second, so finer updates are wasted work
SHORT_NAMES = {"accuracy": "acc", "val_accuracy": "val_acc", "epoch_time": "time"}


def format_metrics(metrics: Mapping[str, float]) -> str:
    parts = []
    for name, value in metrics.items():
        text = f"{value:.2f}s" if name == "epoch_time" else f"{value:.4f}"
        parts.append(f"{SHORT_NAMES.get(name, name)} {text}")
    return "  ".join(parts)


class EpochProgress:
    def __init__(self, epochs: int, *, quiet: bool = False) -> None:
        self.epochs = epochs
        self.quiet = quiet
        self._progress = None
        self._task = None
        self._pending = 0
        self._last = 0.0
        self._plain = False
        self._epoch = 0

    def __enter__(self) -> EpochProgress:
        if self.quiet:
            return self
        from rich.console import Console

        console = Console(stderr=True)
        if not console.is_terminal:  # rich's own test: where it would draw nothing until the end
            self._plain = True
        else:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("epoch {task.fields[epoch]:>{task.fields[width]}}/{task.fields[epochs]}"),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[metrics]}"),
                console=console,
            )
            self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start_epoch(self, epoch: int, steps: int) -> None:
        self._epoch = epoch
        if self._progress is not None:
            self._task = self._progress.add_task(
                "", total=steps, epoch=epoch, epochs=self.epochs, width=len(str(self.epochs)), metrics=""
            )

    def advance(self) -> None:
        """One batch done; the bar is updated at most every UPDATE_EVERY seconds (cheap per batch)."""
        if self._progress is not None:
            self._pending += 1
            now = time.monotonic()
            if now - self._last >= UPDATE_EVERY:
                self._progress.advance(self._task, self._pending)
                self._pending, self._last = 0, now

    def end_epoch(self, metrics: Mapping[str, float]) -> None:
        if self._plain:
            width = len(str(self.epochs))
            print(f"epoch {self._epoch:>{width}}/{self.epochs}  {format_metrics(metrics)}", file=sys.stderr, flush=True)
        if self._progress is not None:
            self._progress.update(self._task, advance=self._pending, metrics=format_metrics(metrics))
            self._pending = 0

