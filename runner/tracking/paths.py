"""The layout of an experiment folder and the statuses a run can have: written once here,
imported by the tracker that writes them and by every reader."""

from __future__ import annotations

METADATA_FILE = "metadata.json"
HYPERPARAMETERS_FILE = "hyperparameters.json"
METRICS_FILE = "metrics.jsonl"
SUMMARY_FILE = "summary.json"
PLOTS_DIR = "plots"
STATUSES = ("running", "completed", "failed", "interrupted", "pruned")  # pruned: stopped by an HPO pruner
ENDED = ("completed", "failed", "interrupted", "pruned")
