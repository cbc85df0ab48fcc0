"""Train one program: generate its code, load data, fit, track. Used by `neural run`,
the language server's Train command (through the CLI) and the search."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.codegen.common import default_dataset
from runner.program import Program, ProgramError, generate, import_module, output_units


@dataclass
class RunResult:
    history: Any
    metrics: dict[str, float]
    experiment_dir: str | None
    code_path: str | None


def load_data(program: Program, dataset: str | None, data: str | None, reshape: bool = True,
              num_samples: int | None = None, seed: int = 0):
    from runner.data import DataError, load_dataset

    net = program.network
    source = data or dataset or default_dataset(net)
    if source.lower() == "synthetic":
        source = "synthetic_classification"
    kwargs: dict[str, Any] = {}
    if source.startswith("synthetic"):
        units = output_units(net)
        if net.loss in ("mse", "mae", "huber", "log_cosh", "poisson"):
            kwargs["task"] = "regression"
            kwargs["output_dim"] = units or 1
        elif units:
            kwargs["num_classes"] = max(units, 2)
        kwargs["num_samples"] = num_samples or 512
        kwargs["seed"] = seed
    elif num_samples:
        kwargs["num_samples"] = num_samples
    try:
        return load_dataset(source, input_shape=net.inputs[0], reshape=reshape, **kwargs)
    except DataError as exc:
        raise ProgramError(str(exc)) from None


def train(program: Program, backend: str = "pytorch", *, dataset: str | None = None,
          data: str | None = None, epochs: int | None = None, batch_size: int | None = None,
          seed: int | None = None, device: str | None = None, callbacks: Sequence = (),
          quiet: bool = False, track: bool = True, base_dir: str | os.PathLike = "neural_experiments",
          tags: dict | None = None, num_samples: int | None = None, code_dir: str | None = None,
          ds=None, on_experiment: Callable[[str], None] | None = None) -> RunResult:
    """`on_experiment` hears the experiment folder as soon as it exists (a search records it
    on the trial, so a trial whose process dies can still mark its experiment)."""
    from runner.training import TrainingError, fit

    code = generate(program, backend)
    tmp = None
    if code_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="neural_")
        code_dir = tmp.name
    code_path = Path(code_dir) / f"{program.network.name.lower()}_{backend}.py"
    code_path.write_text(code)
    module = import_module(code_path, f"neural_generated_{backend}")
    if ds is None:
        ds = load_data(program, dataset, data, num_samples=num_samples)
    tracker = None
    cbs = list(callbacks)
    if track:
        from runner.tracking import ExperimentTracker
        from runner.tracking_callback import TrackingCallback

        tracker = ExperimentTracker(program.network.name, base_dir=base_dir, tags=tags or {},
                                    notes=f"neural run {program.path}")
        if on_experiment is not None:
            on_experiment(tracker.experiment_dir)
        tracker.log_artifact(str(code_path))
        cbs.append(TrackingCallback(tracker, {**program.all_values, "program": str(program.path)}))
    try:
        history = fit(module, ds, epochs=epochs, batch_size=batch_size, callbacks=cbs, quiet=quiet,
                      seed=seed, device=device)
    except TrainingError as exc:
        if tracker is not None:
            tracker.finish("failed")
        raise ProgramError(str(exc)) from None
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM turned into it
        if tracker is not None:
            tracker.finish("interrupted")
        raise
    except BaseException:
        if tracker is not None:
            tracker.finish("failed")
        raise
    finally:
        if tmp is not None:
            tmp.cleanup()
    exp_dir = None
    if tracker is not None:
        # A run an HPO pruner stopped is "pruned" in the store too, not "completed".
        pruned = any(getattr(cb, "pruned", False) for cb in cbs)
        tracker.finish("pruned" if pruned else "completed")
        exp_dir = str(tracker.experiment_dir)
    return RunResult(history, dict(history.final), exp_dir, None if tmp else str(code_path))
