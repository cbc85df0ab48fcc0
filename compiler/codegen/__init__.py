"""Python source for PyTorch and TensorFlow/Keras from a checked program.

`generate_code` takes the program text (or its analysis), substitutes HPO values (the
given ones, defaults for the rest), refuses a program with errors, and returns a module
that follows the runner's contract: BACKEND, CONFIG, build_model(), build_optimizer(),
build_loss(), and a main() that trains it. Everything taken from the .neural file enters
the source as a Python literal (repr) or a validated identifier, never as raw text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compiler.analysis import Analysis, analyze
from compiler.codegen.common import CodegenError
from compiler.model import NetworkIR, missing_network

BACKENDS = ("pytorch", "tensorflow")
BACKEND_ALIASES = {"pytorch": "pytorch", "torch": "pytorch", "tensorflow": "tensorflow",
                   "tf": "tensorflow", "keras": "tensorflow"}


def compiled_path(source: str | Path, backend: str) -> Path:
    """Where a compiled script goes by default: beside the program, as `<stem>.<backend>.py`.

    The name is gitignored (as `<stem>.optimized.neural` is), so generated code never mixes
    with the sources that the repository's `ruff check .` and git see."""
    src = Path(source)
    return src.with_name(f"{src.stem}.{BACKEND_ALIASES.get(backend, backend)}.py")


def concrete(source: str | Analysis, network: str | None = None,
             values: dict[str, Any] | None = None) -> tuple[Analysis, NetworkIR]:
    """The analysis of the program with every HPO replaced (given values, else defaults)."""
    from compiler.render import render

    a = source if isinstance(source, Analysis) else analyze(source)
    if a.errors:
        raise CodegenError(f"the program has {len(a.errors)} error(s)", a.errors, a)
    net = a.network(network)
    if net is None:
        raise CodegenError(missing_network(a.networks, network), analysis=a)
    if net.space and len(net.space):
        internal = net.space.from_public(values or {})
        full = {p.name: internal.get(p.name, p.default()) for p in net.space}
        a = analyze(render(a.text, net.space, full))
        if a.errors:
            raise CodegenError("the program with these HPO values has errors", a.errors, a)
        net = a.network(net.name)
    return a, net


def generate_code(source: str | Analysis, backend: str = "pytorch", network: str | None = None,
                  values: dict[str, Any] | None = None) -> str:
    """Source of a runnable module for `backend` ("pytorch" or "tensorflow")."""
    b = BACKEND_ALIASES.get(backend.lower())
    if b is None:
        raise CodegenError(f"unknown backend {backend!r}: use pytorch or tensorflow")
    a, net = concrete(source, network, values)
    shapes = a.shapes_of(net)
    if b == "pytorch":
        from compiler.codegen.pytorch import generate
    else:
        from compiler.codegen.keras import generate
    return generate(a, net, shapes)
