"""Builders and constants for the comparison UI tests (used by conftest and the tests)."""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path
from typing import Any

from runner.tracking import ExperimentTracker

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "webui"
# The flags that let Chromium start here: no sandbox (root), no GPU, and nothing that
# phones home (this machine's network is closed). Playwright adds --headless and a fresh
# temporary --user-data-dir itself; --no-sandbox comes with chromium_sandbox=False.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
EXACT_LOSS = 0.123456789012345  # more digits than any default number format shows


def chromium_binary() -> str | None:
    explicit = os.environ.get("NEURAL_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


# ---------------------------------------------------------------------------- stores


def add_experiment(base: Path, name: str, hyperparameters: dict[str, Any],
                   records: list[dict[str, Any]], *, status: str = "completed",
                   tags: dict[str, str] | None = None) -> str:
    """A real experiment in `base`; status "running" leaves it open (closed, not finished),
    "failed" ends it through an exception inside `with tracker:`."""
    tracker = ExperimentTracker(name, base_dir=base, auto_visualize=False,
                                capture_environment=False, tags=tags)
    tracker.log_hyperparameters(hyperparameters)
    for step, record in enumerate(records):
        tracker.log_metrics(record, step=step)
    if status == "running":
        tracker.close()
    elif status == "failed":
        try:
            with tracker:
                raise RuntimeError("diverged: loss is NaN")
        except RuntimeError:
            pass
    else:
        tracker.finish(status)
    return tracker.experiment_id


def build_store(base: Path) -> dict[str, str]:
    """Five experiments covering every case the page shows; returns role -> id."""
    optimizer = {"name": "adam", "beta1": 0.9}
    ids = {}
    ids["baseline"] = add_experiment(
        base, "baseline", {"lr": 0.01, "batch_size": 32, "optimizer": optimizer},
        [{"loss": 0.9, "accuracy": 0.50, "val_loss": 1.0},
         {"loss": 0.5, "accuracy": 0.70, "val_loss": 0.8},
         {"loss": EXACT_LOSS, "accuracy": 0.80, "val_loss": 0.6},
         {"loss": 0.1, "accuracy": 0.85, "val_loss": 0.55}],
        tags={"team": "vision"})
    ids["wider"] = add_experiment(
        base, "wider", {"lr": 0.01, "batch_size": 64, "optimizer": optimizer},
        [{"loss": 0.8, "accuracy": 0.55, "val_loss": 0.9},
         {"loss": 0.4, "accuracy": 0.75, "val_loss": 0.7},
         {"loss": 0.2, "accuracy": 0.86, "val_loss": 0.5},
         {"loss": 0.15, "accuracy": 0.9, "val_loss": 0.45}],
        tags={"team": "vision"})
    ids["broken"] = add_experiment(
        base, "broken", {"lr": 0.1, "batch_size": 32, "optimizer": optimizer},
        [{"loss": 2.0, "accuracy": 0.1, "val_loss": 2.5},
         {"loss": math.nan, "accuracy": 0.1, "val_loss": math.inf}],
        status="failed")
    ids["live"] = add_experiment(
        base, "live", {"lr": 0.001, "batch_size": 32, "optimizer": optimizer},
        [{"loss": 1.5, "accuracy": 0.3}], status="running", tags={"team": "nlp"})
    ids["many"] = add_experiment(
        base, "many_metrics", {"lr": 0.01},
        [{f"m{i:02d}": i + step / 10 for i in range(12)} for step in range(3)],
        status="pruned")
    return ids


def screenshot(page: Any, name: str) -> Path:
    """Save the whole page under test-artifacts/webui/ (gitignored; CI keeps it)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
