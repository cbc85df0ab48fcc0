"""`neural tui`: the terminal UI over the experiment store and the HPO studies.

Textual is an optional dependency (the `tui` extra); it is imported only when the command
runs, and its absence is a one-line message naming the install command.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from compiler.store import DEFAULT_STORE, STORE_ENV, store_dir
from runner.cli.errors import CLIError

INSTALL_HINT = "pip install -e '.[tui]'"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tui", help="live terminal UI: experiments, metric curves, HPO studies",
        description="A Textual app that follows the experiment store and HPO studies live: "
                    "experiments table (sort, filter, compare, delete), detail view with "
                    "metric curves, and the trials of every study.",
    )
    p.add_argument("--base-dir", metavar="DIR",
                   help=f"experiment store (default: ${STORE_ENV} or ./{DEFAULT_STORE})")
    p.add_argument("--storage", metavar="URL",
                   help="Optuna storage of the studies: a SQLAlchemy URL (sqlite:///x.db, "
                        "postgresql://...) or a journal file (default: every "
                        "<base-dir>/hpo/*/journal.log)")
    p.add_argument("--interval", type=float, default=1.0, metavar="SECONDS",
                   help="refresh period (default: 1)")
    p.add_argument("--metrics", metavar="A,B",
                   help="main metrics shown in the table (default: chosen from what is logged)")
    p.set_defaults(func=cmd_tui)


def _check_storage(storage: str) -> None:
    """Refuse storages that cannot be read before the UI takes over the terminal."""
    if storage.startswith("sqlite:///"):
        path = Path(storage[len("sqlite:///"):])
        if str(path) not in ("", ":memory:") and not path.is_file():
            raise CLIError(f"--storage {storage}: no such database file {path}")
    elif "://" not in storage:
        if not Path(storage).is_file():
            raise CLIError(f"--storage {storage}: no such journal file")
    if "://" in storage and importlib.util.find_spec("optuna") is None:
        raise CLIError("--storage needs Optuna: pip install -e '.[hpo]'")


def cmd_tui(args: argparse.Namespace) -> int:
    base = Path(store_dir(args.base_dir))
    if base.exists() and not base.is_dir():
        raise CLIError(f"--base-dir {base}: not a folder")
    if args.interval <= 0:
        raise CLIError(f"--interval must be positive, got {args.interval}")
    if args.storage:
        _check_storage(args.storage)
    if importlib.util.find_spec("textual") is None:
        raise CLIError(f"neural tui needs Textual, which is not installed: {INSTALL_HINT}")
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    from runner.tui.app import NeuralTUI

    NeuralTUI(base, storage=args.storage, interval=args.interval, metrics=metrics).run()
    return 0
