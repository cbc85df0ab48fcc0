"""Metric plots with matplotlib, headless.

Figures are built as `matplotlib.figure.Figure` objects with the Agg canvas and never go
through pyplot, so there is no global figure registry, no GUI backend to pick (MPLBACKEND
does not matter) and figures can be drawn from a background thread. Callers that want
pyplot figures can still pass them to `log_figure`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.tracking.summary import best, metric_mode, metric_names, series

if TYPE_CHECKING:
    from matplotlib.figure import Figure

History = Sequence[Mapping[str, Any]]
_MAX_DISTRIBUTIONS = 16


def _figure(figsize: tuple[float, float]) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def plot_file_name(name: str, suffix: str = ".png") -> str:
    """A file name for a plot key: anything but letters, digits, '.', '-' becomes '_'."""
    stem = re.sub(r"[^\w.-]+", "_", name).strip("._") or "plot"
    return stem[:150] + suffix


def _selection_key(base: str, metrics: Sequence[str] | None) -> str:
    """A plot of chosen metrics is its own file: it never replaces the plot of all of them."""
    return f"{base}_{'_'.join(metrics)}" if metrics else base


def _finite(steps: list[int], values: list[float]) -> tuple[list[int], list[float]]:
    pairs = [(s, v) for s, v in zip(steps, values, strict=True) if math.isfinite(v)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


class MetricVisualizer:
    """Builders of metric figures; each returns Figures and leaves saving to the caller."""

    @staticmethod
    def create_metric_plots(
        metrics_history: History,
        figsize: tuple[float, float] = (10, 6),
        metrics: Sequence[str] | None = None,
    ) -> dict[str, Figure]:
        """One curve per metric with its min and max marked, plus all metrics combined."""
        names = list(metrics) if metrics else metric_names(metrics_history)
        figures: dict[str, Figure] = {}
        combined = _figure(figsize)
        cax = combined.add_subplot()
        for name in names:
            steps, values = _finite(*series(metrics_history, name))
            if not values:
                continue
            fig = _figure(figsize)
            ax = fig.add_subplot()
            ax.plot(steps, values, marker="o" if len(values) <= 50 else None,
                    markersize=3, linewidth=1.5, label=name)
            for mode, marker, color in (("min", "v", "tab:green"), ("max", "^", "tab:red")):
                value, step = best(metrics_history, name, mode)
                if value is not None and math.isfinite(value):
                    ax.scatter([step], [value], marker=marker, s=90, color=color, zorder=5,
                               label=f"{mode} {value:.4g} @ step {step}")
            ax.set_title(f"{name} ({metric_mode(name)} is best)")
            ax.set_xlabel("step")
            ax.set_ylabel(name)
            ax.grid(True, alpha=0.3)
            ax.legend(loc="best")
            fig.tight_layout()
            figures[f"metric_{name}"] = fig
            cax.plot(steps, values, linewidth=1.5, label=name)
        if figures:
            cax.set_title(", ".join(metrics) if metrics else "all metrics")
            cax.set_xlabel("step")
            cax.grid(True, alpha=0.3)
            cax.legend(loc="best")
            combined.tight_layout()
            figures[_selection_key("combined_metrics", metrics)] = combined
        return figures

    @staticmethod
    def create_correlation_plot(
        metrics_history: History, figsize: tuple[float, float] = (8, 6)
    ) -> Figure | None:
        """Pearson correlation between metrics over the steps where both are finite."""
        import numpy as np

        names = [n for n in metric_names(metrics_history)
                 if len(_finite(*series(metrics_history, n))[1]) >= 2]
        if len(names) < 2:
            return None
        size = len(names)
        matrix = np.full((size, size), np.nan)
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                pairs = [(r[a], r[b]) for r in metrics_history
                         if isinstance(r.get(a), (int, float)) and isinstance(r.get(b), (int, float))
                         and math.isfinite(r[a]) and math.isfinite(r[b])]
                if len(pairs) >= 2:
                    x, y = np.array(pairs, dtype=float).T
                    if x.std() > 0 and y.std() > 0:
                        matrix[i, j] = float(np.corrcoef(x, y)[0, 1])
        fig = _figure(figsize)
        ax = fig.add_subplot()
        image = ax.imshow(matrix, cmap="coolwarm", vmin=-1, vmax=1)
        fig.colorbar(image, ax=ax)
        ax.set_xticks(range(size), labels=names, rotation=45, ha="right")
        ax.set_yticks(range(size), labels=names)
        if size <= 12:
            for i in range(size):
                for j in range(size):
                    text = "n/a" if np.isnan(matrix[i, j]) else f"{matrix[i, j]:.2f}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=8)
        ax.set_title("metric correlation")
        fig.tight_layout()
        return fig

    @staticmethod
    def create_distribution_plots(
        metrics_history: History,
        figsize: tuple[float, float] = (15, 8),
        metrics: Sequence[str] | None = None,
    ) -> dict[str, Figure]:
        """Histograms of each metric's values, on one grid figure."""
        names = list(metrics) if metrics else metric_names(metrics_history)
        data = [(n, _finite(*series(metrics_history, n))[1]) for n in names]
        data = [(n, v) for n, v in data if v][:_MAX_DISTRIBUTIONS]
        if not data:
            return {}
        cols = min(3, len(data))
        rows = math.ceil(len(data) / cols)
        fig = _figure(figsize)
        for k, (name, values) in enumerate(data):
            ax = fig.add_subplot(rows, cols, k + 1)
            ax.hist(values, bins=min(30, max(5, len(values) // 3)), color="tab:blue", alpha=0.8)
            mean = sum(values) / len(values)
            ax.axvline(mean, color="tab:red", linestyle="--", label=f"mean {mean:.4g}")
            ax.set_title(name)
            ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        return {_selection_key("metric_distributions", metrics): fig}

    @staticmethod
    def create_comparison_plots(
        histories: Mapping[str, History],
        metrics: Sequence[str] | None = None,
        figsize: tuple[float, float] = (10, 6),
    ) -> dict[str, Figure]:
        """One figure per metric with a curve per experiment, and a best-value bar chart."""
        if metrics:
            names = list(metrics)
        else:
            names = []
            for history in histories.values():
                names += [n for n in metric_names(history) if n not in names]
        figures: dict[str, Figure] = {}
        bests: dict[str, dict[str, float]] = {}
        for name in names:
            fig = _figure(figsize)
            ax = fig.add_subplot()
            drawn = False
            for label, history in histories.items():
                steps, values = _finite(*series(history, name))
                if values:
                    ax.plot(steps, values, linewidth=1.5, label=label)
                    drawn = True
                    value, _ = best(history, name, metric_mode(name))
                    if value is not None and math.isfinite(value):
                        bests.setdefault(name, {})[label] = value
            if not drawn:
                continue
            ax.set_title(f"{name} by experiment")
            ax.set_xlabel("step")
            ax.set_ylabel(name)
            ax.grid(True, alpha=0.3)
            ax.legend(loc="best")
            fig.tight_layout()
            figures[f"compare_{name}"] = fig
        if bests:
            import numpy as np

            labels = list(histories)
            shown = list(bests)[:10]
            fig = _figure((max(figsize[0], 2 + 1.2 * len(shown)), figsize[1]))
            ax = fig.add_subplot()
            width = 0.8 / max(1, len(labels))
            x = np.arange(len(shown))
            for k, label in enumerate(labels):
                heights = [bests[m].get(label, np.nan) for m in shown]
                ax.bar(x + k * width, heights, width, label=label)
            ax.set_xticks(x + width * (len(labels) - 1) / 2,
                          labels=[f"{m} ({metric_mode(m)})" for m in shown],
                          rotation=30, ha="right")
            ax.set_title("best value per metric")
            ax.legend(loc="best")
            fig.tight_layout()
            figures["best_metrics"] = fig
        return figures

    @staticmethod
    def create_importance_plot(
        importance: Mapping[str, float], title: str = "parameter importance",
        figsize: tuple[float, float] = (10, 6),
    ) -> Figure:
        """Horizontal bars, most important on top (an HPO study's fANOVA importances)."""
        items = sorted(importance.items(), key=lambda kv: kv[1])
        fig = _figure((figsize[0], max(figsize[1] * 0.5, 0.4 * len(items) + 1.5)))
        ax = fig.add_subplot()
        ax.barh([k for k, _ in items], [v for _, v in items], color="tab:blue")
        for y, (_, v) in enumerate(items):
            ax.text(v, y, f" {v:.3f}", va="center", fontsize=8)
        ax.set_title(title)
        ax.set_xlabel("importance")
        ax.grid(True, axis="x", alpha=0.3)
        fig.tight_layout()
        return fig

    @staticmethod
    def create_all(
        metrics_history: History, metrics: Sequence[str] | None = None
    ) -> dict[str, Figure]:
        """Every standard plot of one experiment, keyed by plot name."""
        figures = MetricVisualizer.create_metric_plots(metrics_history, metrics=metrics)
        correlation = MetricVisualizer.create_correlation_plot(metrics_history)
        if correlation is not None and not metrics:
            figures["metric_correlation"] = correlation
        figures.update(MetricVisualizer.create_distribution_plots(metrics_history, metrics=metrics))
        return figures

    @staticmethod
    def save_figures(
        figures: Mapping[str, Figure], directory: str | os.PathLike[str], dpi: int = 100
    ) -> dict[str, str]:
        """Write each figure as `<directory>/<name>.png` (atomically); returns name -> path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        saved = {}
        for name, fig in figures.items():
            path = directory / plot_file_name(name)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.png")
            fig.savefig(tmp, dpi=dpi)
            os.replace(tmp, path)
            saved[name] = str(path)
        return saved
