"""`neural compile` and `neural run` (also the standalone `neural-run`)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from runner.cli.errors import CLIError
from runner.cli.sources import read_source
from runner.program import ProgramError, generate, load_program, parse_sets


def _program(args: argparse.Namespace):
    text = read_source(args.file)
    try:
        return load_program(args.file, text, args.network, parse_sets(args.set))
    except ProgramError as exc:
        raise CLIError(str(exc), status=1) from None


def _say_defaults(program, out=sys.stderr) -> None:
    if program.defaults_used:
        print("HPO values used (not searched; the first option of a choice, the lower bound of a "
              "range, the geometric middle of a log_range; change them with --set name=value, or "
              "search with --hpo):", file=out)
        for k, v in program.defaults_used.items():
            print(f"  {k} = {v!r}", file=out)


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("compile", help="generate PyTorch or TensorFlow/Keras code")
    c.add_argument("file", metavar="FILE")
    c.add_argument("--backend", default="pytorch", choices=("pytorch", "tensorflow", "torch", "tf", "keras"))
    c.add_argument("-o", "--output", help="where to write the script (default: beside FILE)")
    _common(c)
    c.set_defaults(func=cmd_compile)

    r = sub.add_parser("run", help="train a program (and search its HPO space with --hpo)")
    r.add_argument("file", metavar="FILE")
    r.add_argument("--backend", default="pytorch", choices=("pytorch", "tensorflow", "torch", "tf", "keras"))
    r.add_argument("--dataset", help="digits, iris, wine, breast_cancer, fashion_mnist, synthetic_*")
    r.add_argument("--data", help="an .npz (x, y) or .csv (label column) file")
    r.add_argument("--epochs", type=int)
    r.add_argument("--batch-size", type=int)
    r.add_argument("--seed", type=int)
    r.add_argument("--device")
    r.add_argument("--no-track", action="store_true", help="do not record an experiment")
    r.add_argument("--base-dir", default="neural_experiments", help="the experiment store")
    r.add_argument("--progress-json", action="store_true",
                   help="print one JSON object per epoch on stdout (for editors)")
    _common(r)
    r.set_defaults(func=cmd_run)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--network", help="which network of the file (default: the first)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="give an HPO parameter a value, e.g. --set layers[1].Dense.units=64")


def cmd_compile(args: argparse.Namespace) -> int:
    program = _program(args)
    backend = {"torch": "pytorch", "tf": "tensorflow", "keras": "tensorflow"}.get(args.backend, args.backend)
    try:
        code = generate(program, backend)
    except ProgramError as exc:
        raise CLIError(str(exc), status=1) from None
    out = Path(args.output) if args.output else Path(args.file).with_name(
        f"{Path(args.file).stem}_{backend}.py")
    try:
        out.write_text(code)
    except OSError as exc:
        raise CLIError(f"cannot write {out}: {exc.strerror}") from None
    _say_defaults(program)
    print(f"wrote {out}")
    return 0


class _JsonProgress:
    def __init__(self, epochs: int | None) -> None:
        self.epochs = epochs

    def on_train_begin(self, info) -> None:
        self.epochs = info.epochs

    def on_epoch_end(self, epoch, metrics) -> None:
        print(json.dumps({"event": "epoch", "epoch": epoch, "epochs": self.epochs,
                          "metrics": {k: float(v) for k, v in metrics.items()}}), flush=True)

    def on_train_end(self, history) -> None:
        pass


def _terminate(signum, frame):
    raise KeyboardInterrupt


def cmd_run(args: argparse.Namespace) -> int:
    from runner.run import train

    signal.signal(signal.SIGTERM, _terminate)  # editors cancel with SIGTERM: finish cleanly
    program = _program(args)
    backend = {"torch": "pytorch", "tf": "tensorflow", "keras": "tensorflow"}.get(args.backend, args.backend)
    _say_defaults(program)
    callbacks = [_JsonProgress(args.epochs)] if args.progress_json else []
    try:
        result = train(program, backend, dataset=args.dataset, data=args.data, epochs=args.epochs,
                       batch_size=args.batch_size, seed=args.seed, device=args.device,
                       callbacks=callbacks, quiet=args.progress_json, track=not args.no_track,
                       base_dir=args.base_dir)
    except ProgramError as exc:
        if args.progress_json:
            print(json.dumps({"event": "error", "message": str(exc)}), flush=True)
        raise CLIError(str(exc), status=1) from None
    metrics = {k: round(float(v), 4) for k, v in result.metrics.items()}
    if args.progress_json:
        print(json.dumps({"event": "result", "metrics": metrics,
                          "experiment_dir": result.experiment_dir}), flush=True)
        return 0
    print("final: " + ", ".join(f"{k}={v}" for k, v in metrics.items()))
    if result.history.stopped_early:
        print(f"stopped early: {result.history.stop_message}")
    if result.experiment_dir:
        print(f"experiment: {result.experiment_dir}")
    return 0
