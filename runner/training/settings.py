"""Training settings: the module's CONFIG["train"], then fit()'s overrides, then defaults; checked once."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runner.training.errors import TrainingError

DEFAULTS: dict[str, Any] = {
    "epochs": 10,
    "batch_size": 32,
    "validation_split": 0.0,
    "early_stopping": False,
    "patience": 5,
    "min_delta": 0.0,
    "seed": None,  # None: a fresh random seed, recorded in History.seed so the run can be repeated
    "device": "auto",
}
DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda|cuda:\d+|mps|tpu)$")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# name -> (accepts?, what it must be)
CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "epochs": (lambda v: _is_int(v) and v >= 1, "a positive integer"),
    "batch_size": (lambda v: _is_int(v) and v >= 1, "a positive integer"),
    "validation_split": (lambda v: _is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "early_stopping": (lambda v: isinstance(v, bool), "true or false"),
    "patience": (lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
    "min_delta": (lambda v: _is_number(v) and v >= 0, "a non-negative number"),
    "seed": (lambda v: v is None or (_is_int(v) and 0 <= v < 2**32), "an integer in [0, 2**32)"),
    "device": (
        lambda v: isinstance(v, str) and bool(DEVICE_PATTERN.match(v)),
        "one of auto, cpu, cuda, cuda:N, mps, tpu",
    ),
}


@dataclass(frozen=True)
class TrainSettings:
    epochs: int
    batch_size: int
    validation_split: float
    early_stopping: bool
    patience: int
    min_delta: float
    seed: int
    device: str


def resolve_settings(config: Mapping[str, Any], overrides: Mapping[str, Any]) -> TrainSettings:
    """Merge and check; a None anywhere means "not given" and falls through to the next source."""
    train = config.get("train") or {}
    given = {**{k: v for k, v in train.items() if k in DEFAULTS}, "device": config.get("device")}
    values = {}
    for name, default in DEFAULTS.items():
        value = next((v for v in (overrides.get(name), given.get(name)) if v is not None), default)
        ok, wanted = CHECKS[name]
        if not ok(value):
            raise TrainingError(f"training setting {name}={value!r} is invalid: it must be {wanted}")
        values[name] = value
    if values["seed"] is None:
        values["seed"] = secrets.randbelow(2**31)
    values["validation_split"] = float(values["validation_split"])
    values["min_delta"] = float(values["min_delta"])
    return TrainSettings(**values)
