import threading
from pathlib import Path

import pytest

from runner.tracking import MetricVisualizer

HISTORY = [
    {"step": s, "timestamp": 0.0, "loss": loss, "accuracy": 1 - loss}
    for s, loss in enumerate([0.9, 0.5, 0.7, 0.2, 0.4])
]


def test_metric_plots_mark_min_and_max():
    figures = MetricVisualizer.create_metric_plots(HISTORY)
    assert set(figures) == {"metric_loss", "metric_accuracy", "combined_metrics"}
    ax = figures["metric_loss"].axes[0]
    markers = {tuple(c.get_offsets()[0]): c.get_label() for c in ax.collections}
    assert markers[(3.0, 0.2)].startswith("min 0.2 @ step 3")
    assert markers[(0.0, 0.9)].startswith("max 0.9 @ step 0")
    combined = figures["combined_metrics"].axes[0]
    assert [line.get_label() for line in combined.get_lines()] == ["loss", "accuracy"]


def test_plots_skip_non_finite_values():
    history = HISTORY + [{"step": 5, "timestamp": 0.0, "loss": float("nan")}]
    ax = MetricVisualizer.create_metric_plots(history, metrics=["loss"])["metric_loss"].axes[0]
    assert list(ax.get_lines()[0].get_xdata()) == [0, 1, 2, 3, 4]


def test_correlation_and_distributions():
    fig = MetricVisualizer.create_correlation_plot(HISTORY)
    matrix = fig.axes[0].get_images()[0].get_array()
    assert matrix[0, 1] == pytest.approx(-1.0) and matrix[0, 0] == pytest.approx(1.0)
    assert MetricVisualizer.create_correlation_plot(HISTORY[:1]) is None
    dist = MetricVisualizer.create_distribution_plots(HISTORY)
    assert list(dist) == ["metric_distributions"] and len(dist["metric_distributions"].axes) == 2


def test_generate_visualizations_on_demand(make_tracker):
    tracker = make_tracker()
    for row in HISTORY:
        tracker.log_metrics({"loss": row["loss"], "accuracy": row["accuracy"]}, step=row["step"])
    saved = tracker.generate_visualizations()
    assert set(saved) == {"metric_loss", "metric_accuracy", "combined_metrics",
                          "metric_correlation", "metric_distributions"}
    for path in saved.values():
        assert Path(path).parent.name == "plots" and Path(path).read_bytes()[:4] == b"\x89PNG"
    only = tracker.generate_visualizations(metrics=["loss"])
    assert "metric_accuracy" not in only and "metric_loss" in only


def test_plots_of_chosen_metrics_are_titled_with_them_and_leave_the_full_plots_alone(make_tracker):
    tracker = make_tracker()
    for row in HISTORY:
        tracker.log_metrics({"loss": row["loss"], "accuracy": row["accuracy"], "lr": 0.1}, step=row["step"])
    full = tracker.generate_visualizations()
    before = {name: Path(path).read_bytes() for name, path in full.items()}
    chosen = MetricVisualizer.create_all(tracker.metrics_history, metrics=["loss", "accuracy"])
    assert chosen["combined_metrics_loss_accuracy"].axes[0].get_title() == "loss, accuracy"
    saved = tracker.generate_visualizations(metrics=["loss", "accuracy"])
    assert {"combined_metrics_loss_accuracy", "metric_distributions_loss_accuracy"} <= set(saved)
    for name in ("combined_metrics", "metric_distributions", "metric_correlation"):
        assert Path(full[name]).read_bytes() == before[name], name  # all three metrics still
    assert MetricVisualizer.create_metric_plots(HISTORY)["combined_metrics"].axes[0].get_title() == "all metrics"


def test_auto_plots_are_drawn_outside_the_logging_process(make_tracker, monkeypatch):
    drawn_here = []
    original = MetricVisualizer.create_all

    def spy(history, metrics=None):
        drawn_here.append(len(history))
        return original(history, metrics=metrics)

    monkeypatch.setattr(MetricVisualizer, "create_all", staticmethod(spy))
    tracker = make_tracker(auto_visualize=True, plot_every=5)
    tracker._plotter.min_interval = 0.0
    plot = Path(tracker.experiment_dir) / "plots" / "metric_loss.png"
    for step in range(5):
        tracker.log_metrics({"loss": 1 / (step + 1)}, step=step)
    for _ in range(1200):  # the plot process draws soon after the 5th log (imports: 1-30 s)
        if tracker._plotter.renders:
            break
        threading.Event().wait(0.05)
    assert plot.read_bytes()[:4] == b"\x89PNG" and tracker._plotter.renders >= 1
    assert drawn_here == []  # nothing was drawn in this process while logging
    tracker.log_metrics({"loss": 0.1}, step=5)
    tracker.finish()  # final plots, in-process, with everything logged
    assert drawn_here == [6]
    assert tracker._plotter._worker is None


def test_no_auto_plots_when_disabled(make_tracker):
    tracker = make_tracker(auto_visualize=False)
    for step in range(30):
        tracker.log_metrics({"loss": 1.0}, step=step)
    tracker.finish()
    assert list((Path(tracker.experiment_dir) / "plots").iterdir()) == []
