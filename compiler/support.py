"""What each backend builds: the one table `check` and the code generators both read.

A construct the language knows but a backend cannot build is N701 naming that backend:
`check` reports it as a warning naming the backends (the program is valid; the shapes of
e.g. channels_first are known), and the generator refuses it with the same words. Facts that depend on the input shape (e.g. PyTorch's
BatchNormalization on a 5-D input) are pure functions in compiler.layers (`*_torch_refusal`):
the layer's shape rule says them to `check`, and the generator asks the same function.
Pure data: no framework is imported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compiler import layers as L
from compiler.model import LayerIR

BACKENDS = ("pytorch", "tensorflow")
ALL = frozenset(BACKENDS)
KERAS_ONLY = frozenset({"tensorflow"})

# Activation name -> the backends that build it (Keras takes the name; the PyTorch module
# writes the function out, codegen.pytorch.ACTIVATIONS). `check` accepts every name here.
ACTIVATIONS: dict[str, frozenset[str]] = {
    **{name: ALL for name in L.ACTIVATIONS},
    "sparsemax": KERAS_ONLY,  # no PyTorch function
    "sparse_plus": KERAS_ONLY,
}

# kernel_initializer name -> the backends that build it (compiler.layers.INITIALIZERS holds
# the PyTorch form of each, as Keras defines it).
INITIALIZERS: dict[str, frozenset[str]] = {name: ALL for name in L.INITIALIZERS}

# Layers of the registry that a backend does not build (any other layer is built by both).
LAYERS: dict[str, frozenset[str]] = {
    "Add": frozenset(),  # several inputs: the language has one input per network
    "Concatenate": frozenset(),
}

# Kinds of parameter whose values are names from a per-backend table above.
NAMED: dict[str, dict[str, frozenset[str]]] = {
    "activation": ACTIVATIONS,
}
BY_PARAM: dict[str, dict[str, frozenset[str]]] = {
    "kernel_initializer": INITIALIZERS,
}

_RNNS = frozenset({"SimpleRNN", "LSTM", "GRU"})


@dataclass(frozen=True, slots=True)
class Limit:
    """A value of a layer's parameter that some backends cannot build."""

    layers: frozenset[str] | None  # the layers it concerns; None: every layer with `param`
    param: str
    refused: Callable[[Any], bool]  # is this value refused?
    backends: frozenset[str]  # the backends that refuse it
    what: Callable[[str, Any], str]  # (layer, value) -> the construct, for the message


LIMITS: tuple[Limit, ...] = (
    Limit(None, "data_format", lambda v: v != "channels_last", ALL,
          lambda layer, v: f"data_format={_q(v)}"),
    Limit(frozenset({"SimpleRNN"}), "activation", lambda v: v not in ("tanh", "relu"),
          frozenset({"pytorch"}), lambda layer, v: f"SimpleRNN with activation {v!r}"),
    Limit(frozenset({"LSTM", "GRU"}), "activation", lambda v: v != "tanh",
          frozenset({"pytorch"}), lambda layer, v: f"{layer} with activation {v!r}"),
    Limit(_RNNS, "recurrent_dropout", bool, frozenset({"pytorch"}),
          lambda layer, v: f"{layer} with recurrent_dropout"),
    Limit(_RNNS, "return_state", bool, frozenset({"pytorch"}),
          lambda layer, v: f"{layer} with return_state"),
    Limit(frozenset({"TransformerEncoder"}), "activation", lambda v: v not in ("relu", "gelu"),
          frozenset({"pytorch"}), lambda layer, v: f"TransformerEncoder with activation {v!r}"),
    # an optimizer's gradient clipping (the PyTorch module's optimizer is a plain torch.optim one)
    Limit(None, "clipnorm", lambda v: v is not None, frozenset({"pytorch"}), lambda owner, v: "clipnorm"),
    Limit(None, "clipvalue", lambda v: v is not None, frozenset({"pytorch"}), lambda owner, v: "clipvalue"),
)


def _q(v: Any) -> str:
    return f'"{v}"' if isinstance(v, str) else repr(v)


@dataclass(frozen=True, slots=True)
class Refusal:
    backends: frozenset[str]  # the backends that cannot build it
    what: str  # the construct, e.g. "activation 'sparsemax'"

    def message(self) -> str:
        names = sorted(self.backends)
        which = " and ".join(names)
        return f"{self.what} is not supported by the {which} backend{'s' if len(names) > 1 else ''}"


def refusals(layer: str, param: str, kind: str, value: Any) -> list[Refusal]:
    """What no backend, or only some, build of `layer(param=value)` (a checked value)."""
    out: list[Refusal] = []
    table = NAMED.get(kind) or BY_PARAM.get(param)
    if table is not None and isinstance(value, str) and value in table:
        missing = ALL - table[value]
        if missing:
            out.append(Refusal(missing, f"{param} {value!r}"))
    for lim in LIMITS:
        if lim.param == param and (lim.layers is None or layer in lim.layers) and lim.refused(value):
            out.append(Refusal(lim.backends, lim.what(layer, value)))
    return out


def layer_refusal(layer: str) -> Refusal | None:
    """The backends that do not build this registry layer at all, if any."""
    builds = LAYERS.get(layer, ALL)
    return Refusal(ALL - builds, f"layer {layer}") if builds != ALL else None


def refusal(backend: str, layer: str, params: dict[str, Any]) -> str | None:
    """The first construct of a layer (with its full parameters) that `backend` cannot
    build, as the generator's N701 message names it; None when it builds them all."""
    r = layer_refusal(layer)
    if r is not None and backend in r.backends:
        return r.what
    spec = L.lookup(layer)
    kinds = {p.name: p.kind for p in spec.params} if spec is not None else {}
    for name, value in params.items():
        if isinstance(value, LayerIR) and value.spec is not None:  # a wrapped layer
            why = refusal(backend, value.spec.name, value.full_params())
            if why is not None:
                return why
            continue
        for r in refusals(layer, name, kinds.get(name, ""), value):
            if backend in r.backends:
                return r.what
    return None


def builds(backend: str, kind: str, value: Any) -> bool:
    """Does `backend` build this activation (or other named value of `kind`)?"""
    table = NAMED.get(kind)
    return table is None or backend in table.get(value, ALL)
