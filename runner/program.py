"""From a .neural file to a trainable module: the one path every runner command takes.

The module trained is always the source `compiler.codegen.generate_code` emits (what
`neural compile` writes), loaded from a file so tracebacks point at readable code.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.analysis import Analysis, analyze
from compiler.checks import literal_value
from compiler.codegen import BACKEND_ALIASES, CodegenError, generate_code
from compiler.diagnostics import format_text
from compiler.model import NetworkIR, missing_network


class ProgramError(ValueError):
    """A user mistake about the program or its values; the message says what and where."""


@dataclass
class Program:
    path: Path
    text: str
    analysis: Analysis
    network: NetworkIR
    values: dict[str, Any] = field(default_factory=dict)  # public values given with --set
    defaults_used: dict[str, Any] = field(default_factory=dict)  # public values taken by the rule

    @property
    def all_values(self) -> dict[str, Any]:
        return {**self.defaults_used, **self.values}


def parse_literal(text: str) -> Any:
    """A value written as in the DSL: 64, 0.5, "relu" (or relu), (3, 3), true, none."""
    try:
        return literal_value(text)
    except ValueError as exc:
        raise ProgramError(str(exc)) from None


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ProgramError(f"--set takes name=value, got {item!r}")
        name, _, value = item.partition("=")
        out[name.strip()] = parse_literal(value.strip())
    return out


def format_diagnostics(path: Path | str, a: Analysis, only_errors: bool = True,
                       diagnostics: list | None = None) -> str:
    """Compiler-style lines (file:line:col: severity code: message)."""
    diags = a.diagnostics if diagnostics is None else diagnostics
    return format_text(path, (d for d in diags if d.is_error or not only_errors), a.index)


def load_program(path: str | Path, text: str, network: str | None = None,
                 values: dict[str, Any] | None = None) -> Program:
    a = analyze(text)
    if a.errors:
        raise ProgramError(f"{path} has errors:\n" + format_diagnostics(path, a))
    net = a.network(network)
    if net is None:
        raise ProgramError(f"{path}: {missing_network(a.networks, network)}")
    values = dict(values or {})
    space = net.space
    unknown = [k for k in values if space.get(k) is None]
    if unknown:
        names = ", ".join(p.name for p in space) or "none (this network has no HPO)"
        raise ProgramError(f"unknown HPO parameter {unknown[0]!r}; this network's parameters: {names}")
    try:
        internal = space.from_public(values)
    except ValueError as exc:
        raise ProgramError(str(exc)) from None
    active = space.active({**space.defaults(), **internal})
    defaults = {p.name: p.public_value(p.default()) for p in active if p.name not in values}
    return Program(Path(path), text, a, net, values, defaults)


def generate(program: Program, backend: str) -> str:
    b = BACKEND_ALIASES.get(backend.lower())
    if b is None:
        raise ProgramError(f"unknown backend {backend!r}: use pytorch or tensorflow")
    # A program with no HPO left (a trial's) is generated from the analysis already made.
    concrete = not (program.network.space and len(program.network.space))
    source = program.analysis if concrete else program.text
    try:
        return generate_code(source, b, program.network.name, None if concrete else program.values)
    except CodegenError as err:
        a = err.analysis
        if a is not None and err.diagnostics:
            # Positions are in the text that was generated (the program with HPO values in it).
            where = program.path if a.text == program.text else f"{program.path} (with these HPO values)"
            raise ProgramError(f"cannot generate {b} code:\n"
                               + format_diagnostics(where, a, diagnostics=err.diagnostics)) from None
        raise ProgramError(f"cannot generate {b} code for {program.path}: {err}") from None


def import_module(path: Path, name: str = "neural_generated") -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

