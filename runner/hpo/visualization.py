"""Plots of a search: optimization history, parameter importance, parallel coordinates, slice,
contour and per-trial curves. HTML through plotly's write_html; PNG through Optuna's matplotlib
plots, since plotly's PNG export (kaleido) needs a Chrome binary that is not always there.

    from runner.hpo.visualization import plot_optimization_history, plot_param_importance
    plot_optimization_history(optimizer.trials, metric="val_accuracy")   # a plotly Figure
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from runner.hpo.trials import retarget, to_study

PLOTS = ("optimization_history", "param_importances", "parallel_coordinate", "slice", "contour",
         "intermediate_values")
FORMATS = ("html", "png")
# Plots that need two completed trials with varied parameters; the rest show any finished trial.
NEED_TWO = ("param_importances", "contour")


class VisualizationGenerator:
    """Figures of one search; `write()` saves them as HTML or PNG files."""

    def __init__(self, trials: Any, metric: str | None = None) -> None:
        self.study, self.metric = to_study(trials)
        if metric and metric != self.metric:  # another metric the trials recorded per epoch
            self.study, self.metric = retarget(self.study, metric), metric
        self.target_name = self.metric or "Objective Value"

    def completed(self) -> int:
        return sum(1 for t in self.study.get_trials(deepcopy=False) if t.state.name == "COMPLETE")

    def available(self) -> tuple[str, ...]:
        """The plots these trials can show (importance and contour need two completed trials,
        contour two parameters)."""
        n = self.completed()
        params = {p for t in self.study.get_trials(deepcopy=False) for p in t.params}
        out = []
        for name in PLOTS:
            if name in NEED_TWO and n < 2 or name == "contour" and len(params) < 2:
                continue
            if name == "intermediate_values" and not any(
                    t.intermediate_values for t in self.study.get_trials(deepcopy=False)):
                continue
            if n == 0 and name != "intermediate_values":
                continue
            out.append(name)
        return tuple(out)

    def _kwargs(self, name: str) -> dict[str, Any]:
        if name == "intermediate_values":
            return {}
        return {"target_name": self.target_name}

    def figure(self, name: str, backend: str = "plotly") -> Any:
        """One plot: a plotly Figure, or matplotlib Axes with backend='matplotlib'."""
        if name not in PLOTS:
            raise ValueError(f"unknown plot {name!r}: use {', '.join(PLOTS)}")
        if backend == "matplotlib":
            import matplotlib

            matplotlib.use("Agg")
            import optuna.visualization.matplotlib as vis
        else:
            import optuna.visualization as vis
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # matplotlib plots are ExperimentalWarning in Optuna
            return getattr(vis, f"plot_{name}")(self.study, **self._kwargs(name))

    def write(self, out_dir: str | Path, fmt: str = "html", plots: Iterable[str] | None = None) -> list[Path]:
        """Save each plot these trials can show; returns the files written."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        wanted = self.available() if plots is None else tuple(p for p in plots if p in self.available())
        written = []
        for name in wanted:
            try:
                fig = self.figure(name, "matplotlib" if fmt == "png" else "plotly")
            except (ValueError, RuntimeError, ZeroDivisionError):
                continue  # e.g. importance when no parameter varied
            path = out / f"{name}.{fmt}"
            if fmt == "html":
                fig.write_html(str(path), include_plotlyjs=True)
            else:
                import matplotlib.pyplot as plt

                axes = fig.flat[0] if hasattr(fig, "flat") else fig
                figure = axes.get_figure()
                figure.savefig(path, dpi=100, bbox_inches="tight")
                plt.close(figure)
            written.append(path)
        return written


def plot_optimization_history(trials: Any, metric: str | None = None) -> Any:
    """Each trial's value and the best so far (a plotly Figure). `metric` may name another metric
    the trials recorded per epoch (e.g. val_accuracy of a search on val_loss)."""
    return VisualizationGenerator(trials, metric).figure("optimization_history")


def plot_param_importance(trials: Any, metric: str | None = None) -> Any:
    """How much each hyperparameter explains the objective (fANOVA; a plotly Figure)."""
    return VisualizationGenerator(trials, metric).figure("param_importances")


__all__ = ["FORMATS", "PLOTS", "VisualizationGenerator", "plot_optimization_history", "plot_param_importance"]
