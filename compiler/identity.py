"""The identity of a search: what makes two runs one study.

A study's trials are only comparable when they searched the same space (names, kinds,
bounds, options) on the same data, for the same metric and direction, on the same backend,
training the same model for the same epochs: `model` fingerprints everything a trial trains
that is not searched (input, layers and their fixed arguments, loss, optimizer, the train
settings that shape a run), so formatting and comments do not count but an edited fixed layer does.
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

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import singledispatch
from typing import Any

from compiler.codegen import BACKEND_ALIASES
from compiler.datasets import default_dataset
from compiler.metrics import metric_direction, validation_name
from compiler.model import CallValue, HPORef, LayerIR, NetworkIR, OptimizerIR
from compiler.space import HPOParam
from compiler.syntax import HPO
from compiler.vocab import TARGET_METRICS, TRAIN_KEYS

IDENTITY_VERSION = 2  # bump when the description's form changes (old studies then never match)
FINGERPRINT_LENGTH = 10
DEFAULT_METRIC = TRAIN_KEYS["metric"].default  # "val_loss"
IDENTITY_KEYS = ("space", "dataset", "metric", "direction", "backend", "epochs", "model")
# train settings that change what one trial computes (the others steer the search or name it)
MODEL_TRAIN_KEYS = ("batch_size", "validation_split", "early_stopping", "patience", "min_delta", "shuffle")
SEARCHED = "searched"  # the identity's `epochs` when train.epochs is itself searched
MODEL_PARTS = "fixed layers or arguments, loss, optimizer, or train settings"  # what `model` covers, in words


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


# ---------------------------------------------------------------------------- the fixed model


def _position(field: str) -> bool:
    """Fields of a syntax node that say where, or how, it is written, not what it means."""
    return field in ("start", "end", "text") or field.endswith(("_start", "_end"))


@singledispatch
def _fixed(value: Any) -> Any:
    """A value of the program as plain data, a searched value as the name of its dimension;
    a syntax node (e.g. a schedule's Call) as its fields without positions or spelling."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {type(value).__name__: {f.name: _fixed(getattr(value, f.name))
                                       for f in dataclasses.fields(value) if not _position(f.name)}}
    return value


@_fixed.register
def _(value: HPO) -> Any:
    return {"searched": value.kind}


@_fixed.register
def _(value: HPORef) -> Any:
    return {"searched": value.param.name}


@_fixed.register
def _(value: CallValue) -> Any:
    return {"call": value.name, "params": _fixed(value.params)}


@_fixed.register
def _(value: OptimizerIR) -> Any:
    return {"optimizer": value.name, "params": _fixed(value.params)}


@_fixed.register
def _(value: LayerIR) -> Any:
    return {"layer": value.name, "params": _fixed(value.params), "children": _fixed(value.children),
            "choice": value.choice.name if value.choice is not None else None, "device": value.device}


@_fixed.register(dict)
def _(value: dict) -> Any:
    return {str(k): _fixed(v) for k, v in value.items()}


@_fixed.register(list)
@_fixed.register(tuple)
def _(value: list | tuple) -> Any:
    return [_fixed(v) for v in value]


def model_fingerprint(net: NetworkIR) -> str:
    """A short hash of what a trial trains apart from the searched values (see the module doc)."""
    train = {k: _fixed(net.train[k]) for k in MODEL_TRAIN_KEYS if k in net.train}
    fixed = {"inputs": _fixed(net.inputs), "layers": _fixed(list(net.layers)), "loss": _fixed(net.loss),
             "loss_params": _fixed(net.loss_params), "optimizer": _fixed(net.optimizer), "train": train}
    return fingerprint(_plain(fixed))


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
                    direction: str, backend: str, epochs: int | str, model: str) -> dict[str, Any]:
    """The JSON-able identity of a search (dimensions sorted by name: order does not matter)."""
    space = sorted((_plain(dict(d)) for d in dimensions), key=lambda d: d["name"])
    return {
        "version": IDENTITY_VERSION,
        "space": space,
        "dataset": dataset,
        "metric": metric,
        "direction": direction,
        "backend": backend,
        "epochs": SEARCHED if any(d["name"] == "train.epochs" for d in space) else epochs,
        "model": model,
    }


def resolve_epochs(net: NetworkIR, epochs: int | None = None) -> int:
    """The argument (--epochs), else the train block's (when not searched), else the default."""
    given = net.train.get("epochs")
    return int(epochs or (given if isinstance(given, int) and not isinstance(given, bool) else None)
               or TRAIN_KEYS["epochs"].default)


def network_identity(net: NetworkIR, *, dataset: str | None = None, data: str | None = None,
                     metric: str | None = None, direction: str | None = None,
                     backend: str | None = None, epochs: int | None = None,
                     dimensions: Iterable[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The identity of searching `net` with these settings (unset ones resolved as the CLI
    does); `dimensions` replaces the network's own space (e.g. an API `search_space`)."""
    m = resolve_metric(net.train, metric)
    return search_identity(space_dimensions(net) if dimensions is None else dimensions,
                           dataset=resolve_dataset(net, dataset, data), metric=m,
                           direction=resolve_direction(net.train, m, direction),
                           backend=resolve_backend(backend), epochs=resolve_epochs(net, epochs),
                           model=model_fingerprint(net))


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
        if key == "model" and old.get(key) != new.get(key):
            out.append(f"the network outside the search ({MODEL_PARTS})")
        elif old.get(key) != new.get(key):
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
    "DEFAULT_METRIC", "IDENTITY_VERSION", "MODEL_PARTS", "IdentityError", "differences", "dimension",
    "fingerprint", "model_fingerprint", "network_identity", "param_dimension", "resolve_backend",
    "resolve_dataset", "resolve_direction", "resolve_epochs", "resolve_metric", "search_identity",
    "space_dimensions",
]
