"""Metric curves drawn as terminal text: plotext when installed, sparklines otherwise.

plotext's API changed completely in 6.x (a `figure` object with signals) from 5.x (pyplot
style functions); both are supported. The figure is global plotext state, so charts are
built on the UI thread only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.text import Text

from runner.tui import format as fmt
from runner.tui.history import downsample

Series = Mapping[str, tuple[Sequence[float], Sequence[float]]]


def _clean(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """Drop NaN/inf points: plotext cannot place them."""
    pairs = [(x, y) for x, y in zip(xs, ys, strict=False) if math.isfinite(y)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _plotext():
    try:
        import plotext
    except ImportError:
        return None
    return plotext


def _build_v6(plt, series: Series, width: int, height: int, xlabel: str) -> Text:
    """plotext 6: its legend box would cover the curves' start, so the key goes above."""
    fig = plt.figure
    fig.clear()
    fig.theme("simple")
    fig.plot_size(width, height - 1)
    fig.legend(False)
    key = Text(no_wrap=True)
    for label, (xs, ys) in series.items():
        signal = fig.signal(list(xs), list(ys)).label(label).lines()
        try:
            rgb = signal.get(0).marker().pixel().foreground()
            style = f"rgb({rgb[0]},{rgb[1]},{rgb[2]})" if rgb else ""
        except Exception:  # a plotext internals change only costs the key its colours
            style = ""
        key.append("━━ ", style=style)
        key.append(f"{label}   ")
        fig.draw(signal)
    fig.label(xlabel)
    return key + Text("\n") + Text.from_ansi(fig.build().string(), no_wrap=True)


def _build_v5(plt, series: Series, width: int, height: int, xlabel: str) -> Text:
    plt.clear_figure()
    plt.canvas_color("default")  # the terminal's own background, coloured curves
    plt.axes_color("default")
    plt.ticks_color("default")
    plt.plotsize(width, height)
    for label, (xs, ys) in series.items():
        plt.plot(list(xs), list(ys), label=label)
    plt.xlabel(xlabel)
    return Text.from_ansi(plt.build(), no_wrap=True)


def line_chart(series: Series, width: int, height: int, xlabel: str = "step") -> Text:
    """Curves of several series in a width x height box of terminal cells."""
    width, height = max(width, 20), max(height, 6)
    points = {}
    for label, (xs, ys) in series.items():
        cx, cy = _clean(list(xs), list(ys))
        if cx:
            points[label] = downsample(cx, cy, max(2 * width, 8))
    if not points:
        return Text("no values to plot yet", style="dim")
    plt = _plotext()
    if plt is not None:
        build = _build_v6 if hasattr(plt, "figure") and hasattr(plt.figure, "signal") else \
            _build_v5 if hasattr(plt, "clear_figure") else None
        if build is not None:
            try:
                return build(plt, points, width, height, xlabel)
            except Exception as exc:  # a plotext quirk must not take the view down
                fallback = sparklines(series, width)
                fallback.append(f"\n(plotext failed: {exc})", style="dim")
                return fallback
    return sparklines(series, width)


def sparklines(series: Series, width: int) -> Text:
    """One labelled sparkline per series, with its latest value."""
    text = Text(no_wrap=True)
    label_w = min(max((len(k) for k in series), default=4), 24)
    for i, (label, (_, ys)) in enumerate(series.items()):
        last = ys[-1] if len(ys) else None
        spark_w = max(width - label_w - 14, 8)
        if i:
            text.append("\n")
        text.append(f"{label[:label_w]:<{label_w}} ", style="bold")
        text.append(fmt.sparkline(list(ys), spark_w), style="cyan")
        text.append(f" {fmt.number(last)}")
    return text
