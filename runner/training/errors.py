"""The error a training run raises for a user mistake (bad setting, unusable device, mismatch)."""

from __future__ import annotations


class TrainingError(ValueError):
    """Raised before or during training with a message meant for the user, never for a bug."""
