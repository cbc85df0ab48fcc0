"""Validation metrics beyond loss/accuracy (runner.metrics.validation; imports numpy, so import
it directly). Which way a metric is better is compiler.metrics' one rule, re-exported here."""

from compiler.metrics import metric_direction, metric_mode

__all__ = ["metric_direction", "metric_mode"]
