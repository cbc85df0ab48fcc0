"""What both generators share: literals, names, the CONFIG block and main()."""

from __future__ import annotations

import keyword
import re
from typing import Any

from compiler import diagnostics as dg
from compiler.analysis import Analysis
from compiler.datasets import fitting, needs
from compiler.diagnostics import Diagnostic
from compiler.model import CallValue, LayerIR, NetworkIR, OptimizerIR
from compiler.vocab import TRAIN_KEYS

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def lit(v: Any) -> str:
    """A Python literal for a value from the program (strings via repr: always quoted)."""
    if isinstance(v, bool) or v is None or isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return repr(str(v))
    if isinstance(v, tuple):
        return "(" + ", ".join(lit(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, list):
        return "[" + ", ".join(lit(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{lit(str(k))}: {lit(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"no literal for {type(v).__name__}")


def ident(name: str, fallback: str = "Model") -> str:
    """A safe Python identifier from a name in the program."""
    if not _IDENT.match(name or "") or keyword.iskeyword(name):
        return fallback
    return name


class CodegenError(Exception):
    """The program cannot be generated; `diagnostics` say where and why.

    Defined here, beside what both generators share, so they raise it without importing
    the package that imports them (`from compiler.codegen import CodegenError` still works)."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None,
                 analysis: Analysis | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []
        self.analysis = analysis


class Unsupported(Exception):
    """A construct the backend cannot build: becomes an N701 diagnostic."""

    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.start, self.end = start, end


def unsupported(backend: str, what: str, layer: LayerIR) -> Unsupported:
    s, e = (layer.use_start, layer.use_end) if layer.macro else (layer.start, layer.end)
    return Unsupported(f"{what} is not supported by the {backend} backend", s, e)


def n701(err: Unsupported) -> Diagnostic:
    return dg.make("N701", str(err), err.start, err.end)


def train_config(net: NetworkIR) -> dict[str, Any]:
    out = {k: p.default for k, p in TRAIN_KEYS.items()
           if k in ("epochs", "batch_size", "validation_split", "early_stopping", "patience",
                    "min_delta", "seed", "shuffle")}
    for k, v in net.train.items():
        if k in out:
            out[k] = v
    return out


def config_block(net: NetworkIR, backend: str, output_activation: str | None) -> str:
    train = train_config(net)
    hpo = {k: v for k, v in net.train.items() if k in ("search_method", "trials", "timeout", "metric",
                                                       "direction", "pruner", "parallel", "population")}
    cfg = {
        "network": net.name,
        "backend": backend,
        "input_shape": net.inputs[0],
        "loss": net.loss or "sparse_categorical_crossentropy",
        "metrics": net.metrics or ["accuracy"],
        "output_activation": output_activation,
        "train": train,
        "hpo": hpo,
        "device": net.execute.get("device", "auto"),
        "data": {**needs(net).config(), "fits": fitting(net)},
    }
    lines = ["CONFIG = {"]
    for k, v in cfg.items():
        lines.append(f"    {lit(k)}: {lit(v)},")
    lines.append("}")
    return "\n".join(lines)


def output_activation(net: NetworkIR) -> str | None:
    layers = net.layers
    if not layers:
        return None
    last = layers[-1]
    if last.spec is not None and last.spec.name in ("Dense", "Output"):
        return last.params.get("activation")
    if last.spec is not None and last.spec.name == "Activation":
        return last.params.get("activation")
    return None


def optimizer_parts(net: NetworkIR) -> tuple[str, dict[str, Any], CallValue | None]:
    opt = net.optimizer
    if not isinstance(opt, OptimizerIR):
        return "Adam", {}, None
    params = dict(opt.params)
    sched = params.pop("learning_rate", None)
    if isinstance(sched, CallValue):
        return opt.name, params, sched
    if sched is not None:
        params["learning_rate"] = sched
    return opt.name, params, None


# What a generated file needs, by backend: its framework (to build the model) and the
# extra of this package that brings the runner with it (for main()). The header says so.
FRAMEWORK = {"pytorch": "PyTorch", "tensorflow": "TensorFlow (Keras 3)"}
EXTRA = {"pytorch": "torch", "tensorflow": "tensorflow"}


def header(cls: str, backend: str) -> list[str]:
    """The module docstring: where the file comes from and exactly what running it needs.

    main() trains with the same data loading and loop as `neural run` (one loop, not a copy
    per file), so it needs this package; the model definitions need only the framework."""
    install = f'pip install "neural-dsl[{EXTRA[backend]}]"'
    return [
        f'"""{cls}: generated by `neural compile --backend {backend}` from the Neural DSL. Edit the .neural file.',
        "",
        f"build_model(), build_optimizer() and build_loss() need only {FRAMEWORK[backend]}.",
        "main() trains the model with the Neural DSL runner, the data loading and loop that",
        "`neural run` uses (runner.data.load_for, runner.training.fit); it needs the package:",
        f"    {install}",
        '"""',
    ]


MAIN = '''

def main(argv=None):
    """Train this model: python THIS_FILE [--dataset NAME | --data FILE] [--epochs N]."""
    import argparse
    import sys

    try:
        from runner.data import DataError, load_for
        from runner.training import TrainingError, fit
    except ImportError as exc:
        sys.exit(f'main() needs the Neural DSL runner ({{exc}}): {install}')

    parser = argparse.ArgumentParser(description="Train " + CONFIG["network"])
    parser.add_argument("--dataset", default=DEFAULT_DATASET)
    parser.add_argument("--data", help="an .npz or .csv file instead of a named dataset")
    parser.add_argument("--epochs", type=int)
    args = parser.parse_args(argv)
    try:
        data = load_for(args.data or args.dataset, input_shape=CONFIG["input_shape"],
                        needs=CONFIG["data"])
        history = fit(sys.modules[__name__], data, epochs=args.epochs)
    except (DataError, TrainingError) as exc:
        sys.exit(f"{{parser.prog}}: error: {{exc}}")
    print({{k: round(v, 4) for k, v in history.final.items()}})


if __name__ == "__main__":
    main()
'''



def main_block(backend: str) -> str:
    """main() for a backend: its missing-package message names that backend's extra."""
    return MAIN.format(install=f'pip install "neural-dsl[{EXTRA[backend]}]"')
