"""Whether a metric is better high or low: the one rule the search, tracking, the TUI and the
web UI all use, so a study and the experiment store never disagree about which value is best.
Pure, so the compiler can use it too."""

from __future__ import annotations

# Substrings of a metric name that mean "lower is better"; anything else is maximised
# (accuracy, f1, precision, recall, auc, r2 and a user's own score).
MINIMISED = ("loss", "error", "err", "mse", "mae", "rmse", "perplexity", "ppl", "latency",
             "time", "wer", "cer", "nll", "distance")


def metric_mode(name: str) -> str:
    """'min' for losses, errors and times, 'max' for everything else (accuracy, f1, ...)."""
    lowered = name.lower()
    return "min" if any(token in lowered for token in MINIMISED) else "max"


def metric_direction(name: str) -> str:
    """The Optuna study direction for a metric: 'minimize' or 'maximize'."""
    return "minimize" if metric_mode(name) == "min" else "maximize"


def validation_name(name: str) -> str:
    """A validation metric's recorded name: 'f1' -> 'val_f1' (compiler.vocab.VALIDATION_METRICS
    are computed on the validation split only); any other name unchanged."""
    from compiler.vocab import VALIDATION_METRICS

    return f"val_{name}" if name in VALIDATION_METRICS else name
