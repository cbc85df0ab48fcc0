"""A web page comparing tracked experiments: metrics, hyperparameters, best values, summary.

    from runner.webui import ExperimentComparisonUI, launch_comparison_ui
    launch_comparison_ui("neural_experiments", port=8052)      # or: neural track ui

Standard library server plus the plotly.js file shipped in the plotly wheel: it works
offline and needs nothing but `plotly` installed (the `webui` extra).
"""

from runner.webui.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ExperimentComparisonUI,
    WebUIError,
    launch_comparison_ui,
)

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "ExperimentComparisonUI",
    "WebUIError",
    "launch_comparison_ui",
]
