"""The identity of a search: what makes two runs one study.

A study's trials are only comparable when they searched the same space (names, kinds,
bounds, options) on the same data, for the same metric and direction, on the same backend.
This module turns those into a JSON-able description and a short fingerprint, so the runner
can decide to resume or start a new study, and the language server can match a study to the
space the document has now, without importing any ML framework:

    from compiler.identity import network_identity, fingerprint, differences
    ident = network_identity(net)                  # as `neural run FILE --hpo` would search it
    fingerprint(ident)                             # "3f9c0a1b2d"
    differences(stored_ident, ident)               # ["layers[1].Dense.units: choice 16, 32 -> 64, 128"]

A dimension is `{"name", "kind": "categorical" | "int" | "float", ...}` with `values` for a
categorical one and `low`, `high`, `step`, `log` for a numeric one, plus `parent`/`option`
when it sits inside an option of a choice. Every value in it is plain JSON (tuples become
lists), so a description read back from a study compares equal to a fresh one.

The resolution rules (explicit argument, then the train block, then the documented default)
live here too, so the runner and the editor resolve metric, direction and dataset alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from compiler.codegen import BACKEND_ALIASES
from compiler.datasets import default_dataset
from compiler.metrics import metric_direction, validation_name
from compiler.model import NetworkIR
from compiler.space import HPOParam
from compiler.vocab import TARGET_METRICS, TRAIN_KEYS

IDENTITY_VERSION = 1  # bump when the description's form changes (old studies then never match)
FINGERPRINT_LENGTH = 10
DEFAULT_METRIC = TRAIN_KEYS["metric"].default  # "val_loss"
IDENTITY_KEYS = ("space", "dataset", "metric", "direction", "backend")


class IdentityError(ValueError):
    """A metric, direction or backend no search can use; the message names the choices."""


# ---------------------------------------------------------------------------- dimensions


def _plain(value: Any) -> Any:
    """JSON's view of a value (tuples are lists), so stored and fresh descriptions compare equal."""
    return json.loads(json.dumps(value, default=str))


def dimension(name: str, kind: str, *, values: Iterable[Any] | None = None, low: float | None = None,
              high: float | None = None, step: float | None = None, log: bool = False,
              parent: str | None = None, option: int | None = None) -> dict[str, Any]:
    """One dimension's description; the one form both the runner and the editor build."""
    out: dict[str, Any] = {"name": name, "kind": kind}
    if kind == "categorical":
        out["values"] = _plain(list(values or []))
    else:
        out.update(low=_plain(low), high=_plain(high), step=_plain(step), log=bool(log))
    if parent is not None:
        out.update(parent=parent, option=option)
    return out


def param_dimension(p: HPOParam) -> dict[str, Any]:
    """The description of one HPO expression of a program (as the search explores it)."""
    parent = p.parent.name if p.parent is not None else None
    option = None
    if p.parent is not None:
        option = next((i for i, (s, e) in enumerate(p.parent.option_spans)
                       if s <= p.node.start and p.node.end <= e), None)
    if p.kind in ("choice", "custom"):
        return dimension(p.name, "categorical", values=[p.public_value(i) for i in range(len(p.options))],
                         parent=parent, option=option)
    kind = "int" if p.is_int else "float"
    if p.kind == "log_range":
        return dimension(p.name, kind, low=p.low, high=p.high, log=True, parent=parent, option=option)
    return dimension(p.name, kind, low=p.low, high=p.high, step=p.step, parent=parent, option=option)


def space_dimensions(net: NetworkIR) -> list[dict[str, Any]]:
    """The network's own search space, in order of appearance."""
    return [param_dimension(p) for p in net.space or []]


# ---------------------------------------------------------------------------- resolution


def resolve_backend(backend: str | None) -> str:
    b = BACKEND_ALIASES.get((backend or "pytorch").lower())
    if b is None:
        raise IdentityError(f"unknown backend {backend!r}: use {', '.join(sorted(set(BACKEND_ALIASES)))}")
    return b


def resolve_metric(train: Mapping[str, Any], metric: str | None = None) -> str:
    """The argument, else the train block's `metric`, else val_loss; a validation metric by
    its recorded name ('f1' -> 'val_f1')."""
    m = metric or train.get("metric") or DEFAULT_METRIC
    if m not in TARGET_METRICS:
        raise IdentityError(f"unknown metric {m!r}: a search optimizes one of {', '.join(TARGET_METRICS)}"
                            " (or, in Python, a callable fn(y_true, y_pred))")
    return validation_name(m)


def resolve_direction(train: Mapping[str, Any], metric: str, direction: str | None = None) -> str:
    """The argument, else the train block's `direction`, else compiler.metrics' rule (losses,
    errors and times down, everything else up)."""
    d = direction or train.get("direction") or metric_direction(metric)
    if d not in ("minimize", "maximize"):
        raise IdentityError(f"unknown direction {d!r}: use minimize or maximize")
    return d


def resolve_dataset(net: NetworkIR, dataset: str | None = None, data: str | None = None) -> str:
    """What the trials train on: a data file, else the named dataset, else the train block's
    `dataset`, else the one the input shape implies."""
    if data:
        return f"file:{data}"
    name = dataset or net.train.get("dataset") or default_dataset(net)
    name = str(name)
    return "synthetic_classification" if name.lower() == "synthetic" else name


# ---------------------------------------------------------------------------- identity


def search_identity(dimensions: Iterable[Mapping[str, Any]], *, dataset: str, metric: str,
                    direction: str, backend: str) -> dict[str, Any]:
    """The JSON-able identity of a search (dimensions sorted by name: order does not matter)."""
    return {
        "version": IDENTITY_VERSION,
        "space": sorted((_plain(dict(d)) for d in dimensions), key=lambda d: d["name"]),
        "dataset": dataset,
        "metric": metric,
        "direction": direction,
        "backend": backend,
    }


def network_identity(net: NetworkIR, *, dataset: str | None = None, data: str | None = None,
                     metric: str | None = None, direction: str | None = None,
                     backend: str | None = None,
                     dimensions: Iterable[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The identity of searching `net` with these settings (unset ones resolved as the CLI
    does); `dimensions` replaces the network's own space (e.g. an API `search_space`)."""
    m = resolve_metric(net.train, metric)
    return search_identity(space_dimensions(net) if dimensions is None else dimensions,
                           dataset=resolve_dataset(net, dataset, data), metric=m,
                           direction=resolve_direction(net.train, m, direction),
                           backend=resolve_backend(backend))


def fingerprint(identity: Mapping[str, Any]) -> str:
    """A short, stable hash of the identity (canonical JSON, sorted keys)."""
    canon = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canon.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def _show_dim(d: Mapping[str, Any]) -> str:
    if d.get("kind") == "categorical":
        return "choice " + ", ".join(json.dumps(v) if isinstance(v, str) else str(v) for v in d.get("values", []))
    scale = " log" if d.get("log") else ""
    step = f" step {d['step']}" if d.get("step") is not None else ""
    return f"{d.get('kind')}{scale} [{d.get('low')}, {d.get('high')}]{step}"


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What changed from `old` to `new`, one readable line each; empty when they match."""
    out: list[str] = []
    if old.get("version") != new.get("version"):
        out.append(f"identity version: {old.get('version')} -> {new.get('version')}")
    for key in IDENTITY_KEYS[1:]:
        if old.get(key) != new.get(key):
            out.append(f"{key}: {old.get(key)} -> {new.get(key)}")
    a = {d["name"]: d for d in old.get("space") or []}
    b = {d["name"]: d for d in new.get("space") or []}
    for name in sorted(a.keys() - b.keys()):
        out.append(f"{name}: no longer searched (was {_show_dim(a[name])})")
    for name in sorted(b.keys() - a.keys()):
        out.append(f"{name}: newly searched ({_show_dim(b[name])})")
    for name in sorted(a.keys() & b.keys()):
        if a[name] != b[name]:
            before, after = _show_dim(a[name]), _show_dim(b[name])
            if before == after:  # same range, different nesting
                before, after = json.dumps(a[name], sort_keys=True), json.dumps(b[name], sort_keys=True)
            out.append(f"{name}: {before} -> {after}")
    return out


__all__ = [
    "DEFAULT_METRIC", "IDENTITY_VERSION", "IdentityError", "differences", "dimension",
    "fingerprint", "network_identity", "param_dimension", "resolve_backend", "resolve_dataset",
    "resolve_direction", "resolve_metric", "search_identity", "space_dimensions",
]
