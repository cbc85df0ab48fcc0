"""Experiment tracking: a plain-file store of hyperparameters, metrics, artifacts and plots,
with optional mirrors in MLflow, TensorBoard and Weights & Biases.

Importing this package is cheap: matplotlib, numpy and the mirror libraries are imported
only by the calls that need them.
"""

from runner.tracking.artifacts import ArtifactVersion
from runner.tracking.errors import (
    AmbiguousExperimentId,
    ExperimentNotFound,
    IntegrationUnavailable,
    MetricValueError,
    MirrorWarning,
    StoreWarning,
    TrackingError,
    UnsafeNameError,
)
from runner.tracking.integrations import create_integration
from runner.tracking.manager import ExperimentManager
from runner.tracking.tracker import ExperimentTracker
from runner.tracking.visualizer import MetricVisualizer

__all__ = [
    "AmbiguousExperimentId",
    "ArtifactVersion",
    "ExperimentComparisonUI",
    "ExperimentManager",
    "ExperimentNotFound",
    "ExperimentTracker",
    "IntegrationUnavailable",
    "MetricValueError",
    "MetricVisualizer",
    "MirrorWarning",
    "StoreWarning",
    "TrackingError",
    "UnsafeNameError",
    "create_integration",
    "launch_comparison_ui",
]


def launch_comparison_ui(*args: object, **kwargs: object) -> None:
    """runner.webui.launch_comparison_ui(base_dir, port, debug, host), imported on first call."""
    from runner.webui import launch_comparison_ui as launch

    launch(*args, **kwargs)  # type: ignore[arg-type]


def __getattr__(name: str) -> object:
    """`from runner.tracking import ExperimentComparisonUI` (the tracking guide's spelling) loads the web
    UI only when asked, so importing the tracker stays cheap."""
    if name == "ExperimentComparisonUI":
        from runner.webui import ExperimentComparisonUI

        return ExperimentComparisonUI
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
