"""Exceptions and warnings of the tracking store, so callers can tell user mistakes apart."""

from __future__ import annotations


class TrackingError(Exception):
    """Base class for tracking errors that are the caller's to fix."""


class UnsafeNameError(TrackingError, ValueError):
    """A name or id that would put a file outside the experiment store."""


class ExperimentNotFound(TrackingError, LookupError):
    """No experiment matches the given id or id prefix."""


class AmbiguousExperimentId(TrackingError, LookupError):
    """An id prefix matches more than one experiment."""


class MetricValueError(TrackingError, TypeError):
    """A metric value that is not a real scalar number."""


class IntegrationUnavailable(TrackingError, ImportError):
    """A mirror backend (MLflow, TensorBoard, W&B) is not installed or cannot start."""


class StoreWarning(UserWarning):
    """Something in the store could not be read back (a torn or corrupt line)."""


class MirrorWarning(UserWarning):
    """A mirror backend failed; the local record is unaffected."""
