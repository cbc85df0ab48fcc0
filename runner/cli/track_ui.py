"""`neural track ui`: serve the web comparison UI of an experiment store.

Registered by runner/cli/track.py through `register_ui(actions, common)`, so it sits with
the other `track` actions and shares their --base-dir option. runner.webui is imported by
the handler only, keeping `neural --help` fast.
"""

from __future__ import annotations

import argparse
import sys

from compiler.store import DEFAULT_STORE, STORE_ENV, store_dir
from runner.cli.errors import CLIError

DEFAULT_PORT = 8052  # runner.webui.DEFAULT_PORT, without importing it here
DEFAULT_HOST = "127.0.0.1"


def register_ui(actions: argparse._SubParsersAction,
                common: argparse.ArgumentParser | None = None) -> None:
    """Add `ui` to the `neural track` actions; `common` supplies --base-dir if given."""
    p = actions.add_parser(
        "ui", parents=[common] if common is not None else [],
        help="compare experiments in a web page (http://127.0.0.1:8052)",
        description="Serve a page comparing the experiments of the store: metric plots, "
                    "hyperparameter differences, best values and a summary per experiment. "
                    "It reads the store on every request; press Refresh to see new runs.",
    )
    if common is None:
        p.add_argument("--base-dir", metavar="DIR",
                       help=f"experiment store (default: ${STORE_ENV} or ./{DEFAULT_STORE})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port to listen on (default: {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default: {DEFAULT_HOST}, this machine only; "
                        "0.0.0.0 exposes the experiments to the network)")
    p.add_argument("--debug", action="store_true",
                   help="log every request and show server errors in full")
    p.set_defaults(func=cmd_ui)


def cmd_ui(args: argparse.Namespace) -> int:
    try:
        from runner.webui import ExperimentComparisonUI, WebUIError
    except ImportError as exc:
        raise CLIError(f"the comparison UI cannot load ({exc}); "
                       "install it with: pip install 'neural-dsl[webui]'") from exc
    from runner.tracking import ExperimentManager

    base = store_dir(args.base_dir)
    manager = ExperimentManager(base)
    try:
        ui = ExperimentComparisonUI(manager, port=args.port, host=args.host)
        if not manager.base_dir.is_dir():
            print(f"neural: warning: {manager.base_dir.resolve()} does not exist yet; the page "
                  "lists experiments once runs create them (press Refresh)", file=sys.stderr)
        ui.run(debug=args.debug)
    except WebUIError as exc:
        raise CLIError(str(exc)) from exc
    return 0
