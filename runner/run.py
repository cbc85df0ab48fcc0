"""Train one program: generate its code, load data, fit, track. Used by `neural run`,
the language server's Train command (through the CLI) and the search."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler.datasets import default_dataset, fitting, needs
from runner.program import Program, ProgramError, generate, import_module

if TYPE_CHECKING:
    from runner.tracking.session import TrackingSession


@dataclass
class RunResult:
    history: Any
    metrics: dict[str, float]
    experiment_dir: str | None
    code_path: str | None


def data_needs(net) -> dict[str, Any]:
    """What `runner.data.load_for` needs to know about a network (also written into scripts)."""
    return {**needs(net).config(), "fits": fitting(net)}


def load_data(program: Program, dataset: str | None, data: str | None,
              num_samples: int | None = None, seed: int = 0):
    """The data a run trains on: --data, else --dataset, else the program's `train.dataset`,
    else the first dataset that fits the network."""
    from runner.data import DataError, load_for

    net = program.network
    try:
        return load_for(data or dataset or default_dataset(net), input_shape=net.inputs[0],
                        needs=data_needs(net), num_samples=num_samples, seed=seed)
    except DataError as exc:
        raise ProgramError(str(exc)) from None


def train(program: Program, backend: str = "pytorch", *, dataset: str | None = None,
          data: str | None = None, epochs: int | None = None, batch_size: int | None = None,
          seed: int | None = None, device: str | None = None, callbacks: Sequence = (),
          quiet: bool = False, track: bool = True, base_dir: str | os.PathLike | None = None,
          tags: dict | None = None, num_samples: int | None = None, code_dir: str | None = None,
          ds=None, on_experiment: Callable[[str], None] | None = None, metrics: Sequence = (),
          session: TrackingSession | None = None) -> RunResult:
    """`on_experiment` hears the experiment folder as soon as it exists (a search records it
    on the trial, so a trial whose process dies can still mark its experiment). `metrics` adds
    validation metrics (runner.metrics.validation: names or callables). `session`
    (runner.tracking.session.TrackingSession) is what a search's trials share: environment
    captured once, one plot helper; without one a run makes its own, whose helper draws the
    final plots after this returns."""
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
    if not quiet:
        what = f"{ds.num_classes} classes" if ds.num_classes else ds.task
        print(f"data: {ds.name}, {len(ds):,} samples shaped {tuple(ds.input_shape)}, {what}",
              file=sys.stderr)
    tracker = None
    own_session = None
    cbs = list(callbacks)
    if track:
        from runner.tracking import ExperimentTracker
        from runner.tracking.session import TrackingSession
        from runner.tracking_callback import TrackingCallback

        if session is None:
            session = own_session = TrackingSession()
        tracker = ExperimentTracker(program.network.name, base_dir=base_dir, tags=tags or {},
                                    notes=f"neural run {program.path}", session=session)
        if on_experiment is not None:
            on_experiment(tracker.experiment_dir)
        tracker.log_artifact(str(code_path))
        cbs.append(TrackingCallback(tracker, {**program.all_values, "program": str(program.path)}))
    try:
        history = fit(module, ds, epochs=epochs, batch_size=batch_size, callbacks=cbs, quiet=quiet,
                      seed=seed, device=device, metrics=metrics)
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
        if own_session is not None and tracker is not None and tracker.status != "running":
            own_session.close()  # failed: its plots are asked for; nothing waits for them
    exp_dir = None
    if tracker is not None:
        # A run an HPO pruner stopped is "pruned" in the store too, not "completed".
        pruned = any(getattr(cb, "pruned", False) for cb in cbs)
        tracker.finish("pruned" if pruned else "completed")
        exp_dir = str(tracker.experiment_dir)
    if own_session is not None:
        own_session.close()
    return RunResult(history, dict(history.final), exp_dir, None if tmp else str(code_path))
