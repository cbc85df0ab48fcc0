"""The `neural` command line: one subcommand module per feature.

Each module in COMMAND_MODULES exposes `register(subparsers)`, which adds its
subcommands with `set_defaults(func=handler)`; a handler takes the parsed
arguments and returns the exit status. Modules import heavy frameworks only
inside their handlers, so `neural check` starts fast with none installed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from runner.cli.errors import CLIError

COMMAND_MODULES: tuple[str, ...] = (
    "runner.cli.check",
    "runner.cli.build",
    "runner.cli.visualize",
    "runner.cli.track",
    "runner.cli.tui",
    "runner.cli.lsp",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neural",
        description="Neural DSL toolchain: check, compile, run and track .neural programs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `neural`; user mistakes become one clear line, not a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"neural: error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("neural: interrupted", file=sys.stderr)
        return 130


def run_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `neural-run`: the same as `neural run`."""
    return main(["run", *(sys.argv[1:] if argv is None else argv)])


def entry() -> None:
    """The `neural` console script (and `python -m runner`): main(), then a quick exit after
    a training command (runner.cli.exit)."""
    from runner.cli.exit import finish

    argv = sys.argv[1:]
    finish(argv[0] if argv else None, main(argv))


def run_entry() -> None:
    """The `neural-run` console script."""
    from runner.cli.exit import finish

    finish("run", run_main())
