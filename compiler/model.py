"""The checked model (IR): what a program means, with every HPO expression resolved to a
named search parameter. Built by `checks`; read by shapes, codegen, the server and runner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from compiler.dims import Shape
from compiler.layers import LayerSpec
from compiler.syntax import HPO, Call, LayerStmt, Network

if TYPE_CHECKING:
    from compiler.space import HPOParam, Space


class Symbol(str):
    """A bare identifier used as a value (`loss: mse`): a string that was not quoted."""


@dataclass(slots=True, eq=False)
class HPORef:
    """A value that the search chooses."""

    param: HPOParam

    def __repr__(self) -> str:
        return f"HPO<{self.param.name}>"


class _AtNode:
    """Offsets read from the syntax node: they live in the tree only, so an edit moves them in
    one place (compiler.incremental)."""

    __slots__ = ()
    node: Any

    @property
    def start(self) -> int:
        return self.node.start

    @property
    def end(self) -> int:
        return self.node.end


@dataclass(slots=True, eq=False)
class CallValue(_AtNode):
    """A call used as a value, e.g. `ExponentialDecay(0.1, 1000, 0.96)`."""

    name: str
    params: dict[str, Any]
    node: Call  # where it is written


@dataclass(slots=True, eq=False)
class LayerIR(_AtNode):
    spec: LayerSpec | None  # None: unknown layer (already reported)
    name: str  # canonical spelling
    params: dict[str, Any]  # given arguments (values, HPORef, LayerIR for wrappers)
    path: str  # e.g. layers[3].Dense
    node: Call | HPO  # where it is written
    children: list[LayerIR] | None = None  # block (ResidualConnection)
    device: str | None = None
    choice: HPOParam | None = None  # a layer chosen by HPO: options are LayerIR
    macro: str | None = None  # expanded from this macro
    use: Call | None = None  # where the macro was used (for diagnostics inside macros)
    valid: bool = True  # False when its arguments had errors: no shape is inferred

    @property
    def name_start(self) -> int:
        n = self.node
        return n.kind_start if type(n) is HPO else n.name_start

    @property
    def name_end(self) -> int:
        n = self.node
        return n.kind_end if type(n) is HPO else n.name_end

    @property
    def use_start(self) -> int:
        return self.use.start if self.use is not None else -1

    @property
    def use_end(self) -> int:
        return self.use.end if self.use is not None else -1

    def full_params(self) -> dict[str, Any]:
        """Given arguments plus defaults for the rest."""
        if self.spec is None:
            return dict(self.params)
        out = dict(self.spec.defaults)
        out.update(self.params)
        return out


@dataclass(slots=True, eq=False)
class StmtIR:
    """One layer statement of a network and the layers it expands to (macros, `* N`)."""

    stmt: LayerStmt
    layers: list[LayerIR]
    index: int  # position in `layers:`
    # What checking this statement reported and the HPO parameters it made: an edit inside
    # the statement replaces exactly these (compiler.incremental).
    diags: list = field(default_factory=list)
    params: list = field(default_factory=list)


@dataclass(slots=True, eq=False)
class OptimizerIR(_AtNode):
    name: str
    params: dict[str, Any]
    node: Call


@dataclass(slots=True, eq=False)
class NetworkIR:
    name: str
    node: Network
    inputs: list[Shape]
    stmts: list[StmtIR] = field(default_factory=list)
    loss: Any = None  # str, HPORef, or None
    loss_params: dict[str, Any] = field(default_factory=dict)
    optimizer: OptimizerIR | HPORef | None = None
    metrics: list[str] = field(default_factory=list)
    train: dict[str, Any] = field(default_factory=dict)
    execute: dict[str, Any] = field(default_factory=dict)
    space: Space | None = None
    tail_diags: list = field(default_factory=list)  # checks of the last layer against the loss

    @property
    def layers(self) -> list[LayerIR]:
        """The layers in order of execution, macros and repetitions expanded."""
        return [layer for s in self.stmts for layer in s.layers]

    @property
    def input_shape(self) -> Shape | None:
        return self.inputs[0] if len(self.inputs) == 1 else None


def missing_network(networks: list[NetworkIR], name: str | None) -> str:
    """Why no network was found: "no network named 'X' (networks: A, B)" when `name` was
    asked for, else "the program has no network". Every surface says it this way."""
    if name is None:
        return "the program has no network"
    names = ", ".join(n.name for n in networks) or "none"
    return f"no network named {name!r} (networks: {names})"
