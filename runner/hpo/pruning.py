"""Early stopping of weak trials: per-epoch values reported to an Optuna pruner."""

from __future__ import annotations

from typing import Any

from compiler.vocab import PRUNERS
from runner.training import StopTraining, TrainingCallback

MEDIAN_STARTUP_TRIALS = 5  # Optuna's own default: no pruning before 5 trials have finished
WARMUP_FRACTION = 1 / 3  # no trial is pruned in the first third of its epochs


def make_pruner(name: str | None, max_epochs: int) -> Any:
    """The pruner by name, with the defaults a practitioner would pick: the median pruner
    compares only after MEDIAN_STARTUP_TRIALS trials and after the warm-up epochs, so a
    12-trial search does not end with nearly every trial pruned after one epoch."""
    import optuna

    warmup = int(max_epochs * WARMUP_FRACTION)
    table = {
        "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=MEDIAN_STARTUP_TRIALS,
                                                      n_warmup_steps=warmup),
        "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(max_epochs, 2)),
        "successive_halving": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1),
        "none": optuna.pruners.NopPruner,
    }
    key = (name or "median").lower()
    if key not in table:
        raise ValueError(f"unknown pruner {name!r}: use {', '.join(PRUNERS)}")
    return table[key]()


class PruningCallback(TrainingCallback):
    """Reports the watched metric each epoch; stops training when the pruner says so."""

    def __init__(self, trial: Any, metric: str) -> None:
        self.trial = trial
        self.metric = metric
        self.pruned = False
        self.values: list[float] = []

    def on_epoch_end(self, epoch: int, metrics) -> None:
        value = metrics.get(self.metric)
        if value is None:
            return
        self.values.append(float(value))
        self.trial.report(float(value), epoch)
        if self.trial.should_prune():
            self.pruned = True
            raise StopTraining(f"pruned at epoch {epoch} ({self.metric}={value:.4g})")
