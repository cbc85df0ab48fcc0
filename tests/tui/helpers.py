"""Building real stores and waiting on the app, for the TUI tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any


def make_experiment(
    base: Path, name: str, metrics: Iterable[Mapping[str, float]] = (),
    hparams: Mapping[str, Any] | None = None, tags: Any = None, status: str | None = "completed",
    artifact: Path | None = None, environment: bool = False, backend: str | None = None,
):
    """A real experiment; status None leaves it running (tracker closed, status untouched)."""
    from runner.tracking import ExperimentTracker

    tracker = ExperimentTracker(name, base_dir=base, auto_visualize=False,
                                capture_environment=environment, tags=tags, backend=backend)
    if hparams:
        tracker.log_hyperparameters(hparams)
    for record in metrics:
        tracker.log_metrics(record)
    if artifact is not None:
        tracker.log_artifact(artifact)
    if status is None:
        tracker.close()
    else:
        tracker.finish(status)
    return tracker


def curve(n: int, scale: float = 1.0) -> list[dict[str, float]]:
    """n epochs of a falling loss and rising accuracy."""
    return [{"loss": scale / (i + 1), "val_loss": scale / (i + 1) + 0.05,
             "accuracy": 1 - scale / (i + 2)} for i in range(n)]


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 10.0,
                   what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def loaded(app, pilot) -> None:
    await wait_for(pilot, lambda: app.loaded, what="the first load of the store")
    await pilot.pause()
