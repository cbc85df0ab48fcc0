"""`neural track ...`: experiment tracking from the shell.

`init` starts an experiment and records it as the current one in `<base-dir>/current`,
so later `neural track log` calls (separate processes) know where to write without any
shell state. Everything else takes an experiment id, a unique prefix of one, or a folder
name. The tracking package is imported inside the handlers, keeping `neural --help` fast.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compiler.store import DEFAULT_STORE, STORE_ENV, store_dir
from runner.cli.errors import CLIError

INTEGRATIONS = ("mlflow", "wandb", "tensorboard")
Handler = Callable[[argparse.Namespace], int]


def register(sub: argparse._SubParsersAction) -> None:
    track = sub.add_parser(
        "track", help="track experiments: init, log, list, show, plot, compare, export, delete",
        description="Record hyperparameters, metrics and artifacts of experiments in a plain-file "
                    "store, with optional MLflow / W&B / TensorBoard mirrors.",
    )
    actions = track.add_subparsers(dest="track_command", metavar="ACTION")
    actions.required = True
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--base-dir", metavar="DIR",
        help=f"experiment store (default: ${STORE_ENV} or ./{DEFAULT_STORE})",
    )

    p = actions.add_parser("init", parents=[common], help="start an experiment and make it current")
    p.add_argument("name", nargs="?", help="experiment name (default: experiment_<time>)")
    p.add_argument("--integration", action="append", choices=INTEGRATIONS, default=[],
                   help="also mirror to this backend (repeatable)")
    p.add_argument("--tracking-uri", help="MLflow tracking URI or local folder "
                                          "(default: <base-dir>/mlflow.db)")
    p.add_argument("--project-name", help="W&B project (default: neural)")
    p.add_argument("--log-dir", help="TensorBoard log folder (default: <experiment>/tensorboard)")
    p.add_argument("--tag", action="append", default=[], metavar="KEY[=VALUE]",
                   help="tag the experiment (repeatable)")
    p.add_argument("--notes", default="", help="free-text notes")
    p.set_defaults(func=_guard(cmd_init))

    p = actions.add_parser("log", parents=[common], help="log to the current experiment")
    p.add_argument("--experiment", "-e", metavar="ID", help="log to this experiment instead")
    p.add_argument("--hyperparameters", metavar="JSON", help="a JSON object, or @file.json")
    p.add_argument("--metrics", metavar="JSON", help="a JSON object of numbers, or @file.json")
    p.add_argument("--step", type=int, help="step of --metrics (default: previous step + 1)")
    p.add_argument("--artifact", metavar="PATH", help="file or folder to store as a new version")
    p.add_argument("--framework", help="store --artifact as a model of this framework")
    p.add_argument("--name", help="artifact name (default: the file name; 'model.<ext>' for models)")
    p.set_defaults(func=_guard(cmd_log))

    p = actions.add_parser("list", parents=[common], help="list experiments")
    p.add_argument("--status", choices=("running", "completed", "failed", "interrupted", "pruned",
                                        "corrupt", "incomplete", "unreadable"),
                   help="only these (running includes runs whose process is gone: 'running?')")
    p.add_argument("--tag", metavar="KEY[=VALUE]")
    p.add_argument("--name", help="substring or glob of the experiment name")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_guard(cmd_list))

    p = actions.add_parser("show", parents=[common], help="show one experiment")
    p.add_argument("id", metavar="ID")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_guard(cmd_show))

    p = actions.add_parser("plot", parents=[common], help="draw an experiment's metric plots")
    p.add_argument("id", metavar="ID")
    p.add_argument("--metrics", nargs="+", metavar="NAME", help="only these metrics")
    p.set_defaults(func=_guard(cmd_plot))

    p = actions.add_parser("compare", parents=[common], help="compare experiments' metrics")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("--metrics", nargs="+", metavar="NAME", help="only these metrics")
    p.add_argument("--output", metavar="DIR", help="folder for the plots "
                                                  "(default: <base-dir>/comparisons/...)")
    p.set_defaults(func=_guard(cmd_compare))

    p = actions.add_parser("export", parents=[common],
                           help="write a comparison folder with plots and an HTML report")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("--output", metavar="DIR", help="output folder "
                                                  "(default: <base-dir>/comparisons/...)")
    p.add_argument("--metrics", nargs="+", metavar="NAME", help="only these metrics")
    p.set_defaults(func=_guard(cmd_export))

    p = actions.add_parser("delete", parents=[common], help="delete an experiment folder")
    p.add_argument("id", metavar="ID")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_guard(cmd_delete))

    p = actions.add_parser("finish", parents=[common],
                           help="mark an experiment (default: the current one) as ended")
    p.add_argument("id", nargs="?", metavar="ID")
    p.add_argument("--status", default="completed", choices=("completed", "failed", "interrupted", "pruned"))
    p.set_defaults(func=_guard(cmd_finish))

    from runner.cli.track_ui import register_ui  # the web UI, in its own module

    register_ui(actions, common)


# ------------------------------------------------------------------------- helpers


def _guard(handler: Handler) -> Handler:
    """Tracking errors become CLIError; warnings become one `neural: warning:` line each."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        from runner.tracking.errors import TrackingError

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                status = handler(args)
            except (TrackingError, FileNotFoundError, NotADirectoryError, ValueError) as exc:
                raise CLIError(str(exc)) from exc
            finally:
                _print_warnings(caught)
        return status

    return run


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    from runner.tracking.errors import MirrorWarning, StoreWarning

    for w in caught:
        if issubclass(w.category, (MirrorWarning, StoreWarning, RuntimeWarning, UserWarning)) \
                and not issubclass(w.category, DeprecationWarning):
            print(f"neural: warning: {w.message}", file=sys.stderr)


def _manager(args: argparse.Namespace) -> Any:
    from runner.tracking import ExperimentManager

    base = store_dir(args.base_dir)
    return ExperimentManager(base)


def _json_arg(flag: str, text: str) -> dict[str, Any]:
    """A JSON object from the command line, or from a file given as @path."""
    source = flag
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CLIError(f"{flag}: cannot read {path}: {exc.strerror or exc}") from exc
        source = f"{flag} file {path}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CLIError(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(value, dict):
        raise CLIError(f"{source}: expected a JSON object like '{{\"lr\": 0.01}}', "
                       f"got {type(value).__name__}")
    return value


def _open(manager: Any, experiment_id: str) -> Any:
    tracker = manager.get_experiment(experiment_id)
    if tracker is None:
        raise CLIError(f"no experiment with id {experiment_id!r} in {manager.base_dir}")
    return tracker


def _current(manager: Any, explicit: str | None) -> Any:
    if explicit:
        return _open(manager, explicit)
    current = manager.current_experiment_id()
    if current is None:
        raise CLIError(f"no current experiment in {manager.base_dir}: run `neural track init NAME` "
                       "first, or pass --experiment ID")
    tracker = manager.get_experiment(current)
    if tracker is None:
        raise CLIError(f"the current experiment {current!r} no longer exists in "
                       f"{manager.base_dir}; run `neural track init NAME`")
    return tracker


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "-" if value is None else str(value)


# ------------------------------------------------------------------------ handlers


def cmd_init(args: argparse.Namespace) -> int:
    from runner.tracking import ExperimentTracker

    manager = _manager(args)
    options = {"tracking_uri": args.tracking_uri, "project_name": args.project_name,
               "log_dir": args.log_dir}
    for flag, backend in (("tracking_uri", "mlflow"), ("project_name", "wandb"),
                          ("log_dir", "tensorboard")):
        if options[flag] is not None and backend not in args.integration:
            raise CLIError(f"--{flag.replace('_', '-')} is for --integration {backend}")
    tracker = ExperimentTracker(
        args.name, base_dir=manager.base_dir, auto_visualize=False,
        backend=args.integration or None, tags=args.tag, notes=args.notes,
        backend_options={k: v for k, v in options.items() if v is not None},
    )
    tracker.close()
    manager.set_current(tracker.experiment_id)
    print(f"started experiment {tracker.experiment_name!r} (id {tracker.experiment_id})")
    print(f"  folder: {tracker.experiment_dir}")
    for mirror in tracker.metadata.get("mirrors", []):
        state = "failed: " + mirror["error"] if mirror.get("error") else "ok"
        print(f"  mirror {mirror['backend']}: {state}")
    print("  it is now the current experiment for `neural track log`")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    if args.hyperparameters is None and args.metrics is None and args.artifact is None:
        raise CLIError("nothing to log: give --hyperparameters, --metrics or --artifact")
    if args.step is not None and args.metrics is None:
        raise CLIError("--step needs --metrics")
    if (args.framework or args.name) and args.artifact is None:
        raise CLIError("--framework and --name need --artifact")
    hyperparameters = (_json_arg("--hyperparameters", args.hyperparameters)
                       if args.hyperparameters is not None else None)
    metrics = _json_arg("--metrics", args.metrics) if args.metrics is not None else None
    if args.artifact is not None and not Path(args.artifact).exists():
        raise CLIError(f"--artifact: {args.artifact} does not exist")
    manager = _manager(args)
    tracker = _current(manager, args.experiment)
    try:
        if hyperparameters is not None:
            tracker.log_hyperparameters(hyperparameters)
            print(f"logged {len(hyperparameters)} hyperparameter(s) to {tracker.experiment_id}")
        if metrics is not None:
            step = tracker.log_metrics(metrics, step=args.step)
            print(f"logged {len(metrics)} metric(s) at step {step} to {tracker.experiment_id}")
        if args.artifact is not None:
            if args.framework:
                stored = tracker.log_model(args.artifact, framework=args.framework, name=args.name)
            else:
                stored = tracker.log_artifact(args.artifact, name=args.name)
            print(f"stored {stored.name} v{stored.version} ({stored.size} bytes, "
                  f"sha256 {stored.checksum[:12]}) in {tracker.experiment_id}")
    finally:
        tracker.close()
    return 0



TAG_CELL_MAX = 32  # a tag value longer than this (a search's identity, a JSON blob) is `key=…` in a table


def _tag_cell(key: str, value: object) -> str:
    """A tag as a table shows it: whole when short, its key alone when its value is long."""
    if not value:
        return key
    text = str(value)
    return f"{key}={text}" if len(text) <= TAG_CELL_MAX else f"{key}=…"


def cmd_list(args: argparse.Namespace) -> int:
    manager = _manager(args)
    experiments = manager.list_experiments(status=args.status, tag=args.tag, name=args.name)
    if args.json:
        print(json.dumps(experiments, indent=2, default=str))
        return 0
    if not experiments:
        print(f"no experiments in {manager.base_dir}", file=sys.stderr)
        return 0
    current = manager.current_experiment_id()
    rows = [("", "ID", "NAME", "STATUS", "STARTED", "RECORDS", "TAGS")]  # long tag values: `track show ID`
    for e in experiments:
        tags = ",".join(_tag_cell(k, v) for k, v in e["tags"].items())
        rows.append(("*" if e["experiment_id"] == current else "", e["experiment_id"],
                     str(e["experiment_name"]), str(e["status"]), str(e["start_time"] or "-"),
                     _fmt(e["metric_records"]), tags))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    damaged = [e for e in experiments if e.get("problem")]
    for e in damaged:
        print(f"{e['experiment_id']} is {e['status']}: {e['problem']} "
              f"({e['experiment_dir']})", file=sys.stderr)
    if any(e["status"] == "running?" for e in experiments):
        print("running?: the process that ran it is gone and it logged nothing for a while "
              "(probably killed); `neural track finish ID --status interrupted` records that",
              file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    manager = _manager(args)
    info = manager.describe(args.id)
    if args.json:
        from runner.tracking.values import to_json

        print(json.dumps(to_json(info, "experiment"), indent=2))
        return 0
    meta, summary = info["metadata"], info["summary"]
    print(f"{meta['experiment_name']}  (id {meta['experiment_id']})")
    for key in ("status", "start_time", "end_time", "duration_s"):
        print(f"  {key:<12} {_fmt(meta.get(key))}")
    print(f"  {'folder':<12} {info['experiment_dir']}")
    if meta.get("tags"):
        print("  tags         " + ", ".join(f"{k}={v}" if v else k for k, v in meta["tags"].items()))
    if meta.get("notes"):
        print(f"  notes        {meta['notes']}")
    if meta.get("error"):
        print(f"  error        {meta['error']}")
    env = meta.get("environment") or {}
    if env:
        git = env.get("git") or {}
        print(f"  python       {env.get('python', {}).get('version')} on "
              f"{env.get('platform', {}).get('platform')}")
        if git:
            print(f"  git          {git.get('branch')} @ {(git.get('commit') or '-')[:12]}"
                  f"{' (dirty)' if git.get('dirty') else ''}")
        print(f"  command      {' '.join(env.get('command', {}).get('argv', []))}")
    for mirror in meta.get("mirrors") or []:
        print(f"  mirror       {mirror['backend']}: "
              f"{'failed: ' + mirror['error'] if mirror.get('error') else mirror.get('state')}")
    if info["hyperparameters"]:
        print("hyperparameters:")
        for key, value in info["hyperparameters"].items():
            print(f"  {key} = {json.dumps(value, default=str)}")
    if summary["metrics"]:
        print(f"metrics ({summary['metric_records']} records):")
        print(f"  {'name':<20} {'last':>12} {'min':>12} {'max':>12}  best")
        for name, s in summary["metrics"].items():
            best_value, best_step = s[s["mode"]], s[f"{s['mode']}_step"]
            print(f"  {name:<20} {_fmt(s['last']):>12} {_fmt(s['min']):>12} {_fmt(s['max']):>12}"
                  f"  {s['mode']} {_fmt(best_value)} @ step {_fmt(best_step)}")
    if info["artifacts"]:
        print("artifacts:")
        for name, versions in info["artifacts"].items():
            latest = versions[-1]
            print(f"  {name}: {len(versions)} version(s), latest v{latest['version']} "
                  f"{latest['size']} bytes sha256 {latest['checksum'][:12]}")
    return 0


IMPORTANCE = ("parameter_importance", "param_importances", "importance")


def cmd_plot(args: argparse.Namespace) -> int:
    manager = _manager(args)
    tracker = _open(manager, args.id)
    saved: dict[str, str] = {}
    try:
        history = tracker.metrics_history
        wanted = list(dict.fromkeys(args.metrics or ()))
        if any(m in IMPORTANCE for m in wanted):
            saved.update(_importance_plot(manager, tracker))
            wanted = [m for m in wanted if m not in IMPORTANCE]
            if not wanted:
                return _print_saved(saved)
        if not history:
            raise CLIError(f"experiment {tracker.experiment_id} has no metrics to plot")
        if wanted:
            from runner.tracking.summary import metric_names

            known = metric_names(history)
            missing = [m for m in wanted if m not in known]
            if missing:
                raise CLIError(f"unknown metric(s) {', '.join(missing)} in experiment "
                               f"{tracker.experiment_id}; it has: {', '.join(known)}")
        saved.update(tracker.generate_visualizations(metrics=wanted or None))
    finally:
        tracker.close()
    return _print_saved(saved)


def _print_saved(saved: dict[str, str]) -> int:
    for name, path in saved.items():
        print(f"{name}: {path}")
    return 0


def _importance_plot(manager: Any, tracker: Any) -> dict[str, str]:
    """Parameter importance belongs to the study a trial ran in, not to the trial: plot the
    study's (from its hpo_results.json) into this experiment's plots, or say where it is."""
    from runner.hpo.storage import study_dir

    study = tracker.tags.get("study")
    if not study:
        raise CLIError(f"experiment {tracker.experiment_id} is not an HPO trial: parameter "
                       "importance comes from a search (neural run FILE --hpo)")
    results = study_dir(manager.base_dir, study) / "hpo_results.json"
    try:
        importance = json.loads(results.read_text()).get("importance") or {}
    except (OSError, ValueError):
        raise CLIError(f"experiment {tracker.experiment_id} is trial {tracker.tags.get('trial', '?')} "
                       f"of study {study!r}, whose results are not at {results} (the search "
                       "writes them when it ends)") from None
    if not importance:
        raise CLIError(f"study {study!r} has no parameter importance (it needs at least two "
                       f"completed trials and two parameters); see {results}")
    from runner.tracking.tracker import PLOTS_DIR
    from runner.tracking.visualizer import MetricVisualizer

    fig = MetricVisualizer.create_importance_plot(importance, title=f"parameter importance, study {study}")
    return MetricVisualizer.save_figures({"parameter_importance": fig},
                                         Path(tracker.experiment_dir) / PLOTS_DIR)


def _check_ids(manager: Any, ids: list[str], least: int) -> list[str]:
    if len(dict.fromkeys(ids)) < least:
        raise CLIError(f"give at least {least} different experiment ids")
    return [manager.resolve(i).name.rsplit("_", 1)[-1] for i in ids]


def cmd_compare(args: argparse.Namespace) -> int:
    from runner.tracking.report import best_metric_table
    from runner.tracking.visualizer import MetricVisualizer

    manager = _manager(args)
    ids = _check_ids(manager, args.ids, 2)
    histories = manager.histories(ids)
    rows = best_metric_table(histories, args.metrics)
    if not rows:
        raise CLIError("these experiments have no metrics to compare")
    labels = list(histories)
    print("best values (winner marked *):")
    print("  " + "metric".ljust(20) + "".join(label[:24].rjust(26) for label in labels))
    for name, mode, cells, winner in rows:
        texts = [("*" if i == winner else "") + (_fmt(v) if v is not None else "-")
                 for i, (v, _step) in enumerate(cells)]
        print("  " + f"{name} ({mode})".ljust(20) + "".join(t.rjust(26) for t in texts))
    import datetime as _dt

    out = Path(args.output) if args.output else (
        manager.base_dir / "comparisons" / f"compare_{_dt.datetime.now():%Y%m%d_%H%M%S}")
    figures = MetricVisualizer.create_comparison_plots(histories, metrics=args.metrics)
    saved = MetricVisualizer.save_figures(figures, out)
    print(f"plots in {out}:")
    for name, path in saved.items():
        print(f"  {name}: {path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    manager = _manager(args)
    ids = _check_ids(manager, args.ids, 1)
    out = manager.export_comparison(ids, args.output, metrics=args.metrics)
    print(f"comparison report: {Path(out) / 'index.html'}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    manager = _manager(args)
    folder = manager.resolve(args.id)
    if not args.yes:
        if not sys.stdin.isatty():
            raise CLIError(f"refusing to delete {folder.name} without --yes (stdin is not a terminal)")
        answer = input(f"delete {folder} and everything in it? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    manager.delete_experiment(folder.name)
    print(f"deleted {folder}")
    return 0


def cmd_finish(args: argparse.Namespace) -> int:
    manager = _manager(args)
    tracker = _current(manager, args.id)
    if tracker.metrics_history:
        tracker.generate_visualizations()
    tracker.finish(args.status)
    print(f"experiment {tracker.experiment_id} marked {args.status}")
    if args.id is None or manager.current_experiment_id() == tracker.experiment_id:
        manager.clear_current()
    return 0
