"""`neural compile` and `neural run` (also the standalone `neural-run`)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from compiler.codegen import BACKEND_ALIASES, compiled_path
from compiler.datasets import DATASET_NAMES
from compiler.store import DEFAULT_STORE, STORE_ENV, store_dir
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
    c.add_argument("--backend", default="pytorch", choices=tuple(BACKEND_ALIASES))
    c.add_argument("-o", "--output", help="where to write the script (default: beside FILE)")
    _common(c)
    _data_args(c)
    _hpo_args(c)
    c.set_defaults(func=cmd_compile)

    r = sub.add_parser("run", help="train a program (and search its HPO space with --hpo)")
    r.add_argument("file", metavar="FILE")
    r.add_argument("--backend", default="pytorch", choices=tuple(BACKEND_ALIASES))
    r.add_argument("--batch-size", type=int)
    r.add_argument("--device")
    r.add_argument("--progress-json", action="store_true",
                   help="print one JSON object per epoch (per trial with --hpo) on stdout, for editors")
    _common(r)
    _data_args(r)
    _hpo_args(r)
    r.set_defaults(func=cmd_run)


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", help=f"{', '.join(DATASET_NAMES)} (default: train.dataset, else the "
                   "first that fits the network)")
    p.add_argument("--data", help="an .npz (x, y) or .csv (label column) file")
    p.add_argument("--epochs", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--no-track", action="store_true", help="do not record experiments")
    p.add_argument("--base-dir", help=f"the experiment store (default: ${STORE_ENV}, else ./{DEFAULT_STORE})")


def _hpo_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("hyperparameter search")
    g.add_argument("--hpo", action="store_true", help="search the program's HPO space first")
    g.add_argument("--trials", type=int, help="trials to run now, more on a resumed study "
                   "(default: train.trials, else 20)")
    g.add_argument("--timeout", type=float, help="stop starting trials after this many seconds")
    g.add_argument("--parallel", type=int, help="worker processes on one study (default: train.parallel, "
                   "else 1); each gets cores/N framework threads. With --executor dask: trials in flight "
                   "(default: every worker thread)")
    g.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="where trials run: this machine (default) or a Dask cluster (--scheduler)")
    g.add_argument("--scheduler", metavar="ADDRESS", help="the Dask scheduler, e.g. tcp://HOST:8786")
    g.add_argument("--search", help="random, grid, bayesian, tpe, evolutionary or pbt "
                   "(default: train.search_method, else tpe)")
    g.add_argument("--storage", help="journal file or SQLAlchemy URL (default: a journal file under --base-dir)")
    g.add_argument("--study", help="study name (default: FILE-NETWORK-FINGERPRINT of the search: "
                   "the same search resumes); a named study must be the same search")
    g.add_argument("--pruner", help="median, hyperband, successive_halving or none")
    g.add_argument("--metric", help="what the search optimizes: val_loss (default), val_accuracy, loss, "
                   "accuracy, or f1, precision, recall, auc, mae, mse, r2 (on the validation split)")
    g.add_argument("--direction", choices=("minimize", "maximize"))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--network", help="which network of the file (default: the first)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="give an HPO parameter a value, e.g. --set layers[1].Dense.units=64")


def cmd_compile(args: argparse.Namespace) -> int:
    args.base_dir = store_dir(args.base_dir)
    program = _program(args)
    backend = BACKEND_ALIASES[args.backend]
    if args.hpo:
        result = _search(args, program, backend)
        if not result.best_params:
            raise CLIError("no trial completed: nothing to compile", status=1)
        try:
            program = load_program(args.file, result.optimized_text, args.network)
        except ProgramError as exc:
            raise CLIError(str(exc), status=1) from None
    try:
        code = generate(program, backend)
    except ProgramError as exc:
        raise CLIError(str(exc), status=1) from None
    out = Path(args.output) if args.output else compiled_path(args.file, backend)
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


def _search(args: argparse.Namespace, program, backend: str):
    from runner.hpo import Search, SearchConfig, SearchSpaceError
    from runner.hpo.executors import make_executor
    from runner.hpo.report import JsonReporter, TableReporter

    if program.values:
        raise CLIError("--set and --hpo together: the search chooses every HPO value", status=2)
    signal.signal(signal.SIGTERM, _terminate)  # compile --hpo too: every trial ends, results are written
    cfg = SearchConfig(backend=backend, dataset=args.dataset, data=args.data, metric=args.metric,
                       direction=args.direction, method=args.search, n_trials=args.trials, timeout=args.timeout,
                       parallel=args.parallel, storage=args.storage, study_name=args.study,
                       epochs=args.epochs, pruner=args.pruner, seed=args.seed, track=not args.no_track,
                       base_dir=args.base_dir)
    progress_json = getattr(args, "progress_json", False)
    try:
        search = Search(program.text, args.file, args.network, None, None, cfg)  # settles cfg once
        with make_executor(args.executor, parallel=args.parallel, scheduler=args.scheduler) as executor:
            search.attach(executor)  # a Dask executor keeps the study on the scheduler
            for note in search.prepare():  # resumed or new (and why), before the first trial
                if progress_json:
                    print(json.dumps({"event": "notice", "message": note}), flush=True)
                else:
                    print(note, file=sys.stderr)
            if progress_json:
                result = search.run(JsonReporter(search.n_trials), executor)
            else:
                with TableReporter(search.n_trials) as table:
                    result = search.run(table, executor)
    except (ProgramError, SearchSpaceError, ValueError) as exc:
        if progress_json:
            print(json.dumps({"event": "error", "message": str(exc)}), flush=True)
        raise CLIError(str(exc), status=1) from None
    if progress_json:
        print(json.dumps({"event": "result", "best_value": result.best_value, "best_params": result.best_params,
                          "best_trial": result.best_trial, "optimized_path": result.optimized_path,
                          "results_path": result.results_path, "trials": len(result.trials),
                          "study": result.study_name, "fingerprint": result.fingerprint},
                         default=str), flush=True)
        return result
    print(summary_line(result, search.resumed_trials), file=sys.stderr)
    if result.best_value is None:
        print("no trial completed" + (f"; the first error: {first_error(result)}" if first_error(result) else ""),
              file=sys.stderr)
        return result
    print(f"best {result.metric}: {result.best_value:.4g} (trial {result.best_trial})")
    print("best parameters:")
    for k, v in result.best_params.items():
        print(f"  {k} = {v!r}")
    if result.importance:
        top = sorted(result.importance.items(), key=lambda kv: -kv[1])[:5]
        print("importance: " + ", ".join(f"{k} {v:.2f}" for k, v in top))
    print(f"results: {result.results_path}  (plots: neural visualize {result.results_path})")
    if result.optimized_path:
        print(f"optimized program: {result.optimized_path}")
    if not args.no_track:
        print(f"experiments: {args.base_dir}/  (neural track list --base-dir {args.base_dir}; "
              f"neural tui --base-dir {args.base_dir})")
    return result


def summary_line(result, earlier: int) -> str:
    """`study X (storage): 12 trials this run: 9 completed, 3 pruned; 24 in all`."""
    from runner.hpo.results import state_counts

    new = result.trials[earlier:] if earlier else result.trials
    words = {"COMPLETE": "completed", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running"}
    counts = state_counts(new)
    parts = [f"{counts.get(s, 0)} {w}" for s, w in words.items() if counts.get(s) or s in ("COMPLETE", "PRUNED")]
    line = (f"study {result.study_name} ({result.storage}): {len(new)} trial{'s' if len(new) != 1 else ''} "
            f"this run: {', '.join(parts)}")
    return line + (f"; {len(result.trials)} in all" if earlier else "")


def first_error(result) -> str | None:
    return next((t["error"] for t in result.trials if t.get("error")), None)


def cmd_run(args: argparse.Namespace) -> int:
    from runner.metrics.validation import extra_metrics
    from runner.run import train

    signal.signal(signal.SIGTERM, _terminate)  # editors cancel with SIGTERM: finish cleanly
    args.base_dir = store_dir(args.base_dir)
    program = _program(args)
    backend = BACKEND_ALIASES[args.backend]
    if args.hpo:
        result = _search(args, program, backend)
        return 0 if result.best_value is not None else 1
    _say_defaults(program)
    callbacks = [_JsonProgress(args.epochs)] if args.progress_json else []
    try:
        result = train(program, backend, dataset=args.dataset, data=args.data, epochs=args.epochs,
                       batch_size=args.batch_size, seed=args.seed, device=args.device,
                       callbacks=callbacks, quiet=args.progress_json, track=not args.no_track,
                       base_dir=args.base_dir,
                       metrics=extra_metrics([args.metric, program.network.train.get("metric")]))
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
