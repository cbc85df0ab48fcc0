"""Metric curves in the terminal: plotext, the sparkline fallback, series reading."""

from __future__ import annotations

import math

from runner.tui import charts
from runner.tui.history import SeriesReader, downsample
from tests.tui.helpers import curve, make_experiment


def test_plotext_chart_has_axes_and_a_coloured_key():
    text = charts.line_chart({"loss": ([1, 2, 3], [3.0, 2.0, 1.0]),
                              "val_loss": ([1, 2, 3], [3.5, 2.5, float("nan")])}, 60, 14)
    plain = text.plain
    assert "loss" in plain.splitlines()[0] and "val_loss" in plain.splitlines()[0]
    assert "step" in plain and "┤" in plain  # an axis with ticks
    assert max(len(line) for line in plain.splitlines()) <= 60
    key_styles = {str(span.style) for span in text.spans if span.end <= len(plain.splitlines()[0])}
    assert len(key_styles - {""}) == 2  # one colour per curve in the key


def test_sparklines_when_plotext_is_missing(monkeypatch):
    monkeypatch.setattr(charts, "_plotext", lambda: None)
    text = charts.line_chart({"loss": ([0, 1, 2, 3], [4.0, 3.0, 2.0, 1.0])}, 40, 10)
    assert text.plain.startswith("loss ") and "█" in text.plain and text.plain.endswith(" 1")


def test_nothing_to_plot():
    assert "no values" in charts.line_chart({"loss": ([0], [math.inf])}, 40, 10).plain


def test_downsample_keeps_spikes():
    xs = list(range(10_000))
    ys = [1.0] * 10_000
    ys[4321] = 50.0
    ys[777] = -3.0
    dx, dy = downsample(xs, ys, 200)
    assert len(dx) <= 200 and 50.0 in dy and -3.0 in dy
    assert dx == sorted(dx)


def test_series_reader_is_incremental(store):
    from runner.tracking import ExperimentTracker

    tracker = make_experiment(store, "s", curve(3), status=None)
    reader = SeriesReader(tracker.experiment_dir)
    assert reader.poll()
    assert reader.series["loss"][0] == [0, 1, 2]
    assert not reader.poll()
    again = ExperimentTracker.open(tracker.experiment_dir)
    again.log_metrics({"loss": float("nan"), "f1": 0.5})
    again.close()
    assert reader.poll()
    steps, values = reader.series["loss"]
    assert steps == [0, 1, 2, 3] and math.isnan(values[-1])
    assert reader.series["f1"] == ([3], [0.5])
