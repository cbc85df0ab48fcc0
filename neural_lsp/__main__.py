"""`neural-lsp` / `python -m neural_lsp` / `neural lsp`: stdio by default, or `--tcp HOST:PORT`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def _tcp(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"takes HOST:PORT, e.g. 127.0.0.1:2087; got {value!r}")
    return host or "127.0.0.1", int(port)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The server's options: the same for `neural-lsp` and `neural lsp`."""
    ap.add_argument("--stdio", action="store_true",
                    help="talk over stdin/stdout (the default; accepted for editors that pass it)")
    ap.add_argument("--tcp", metavar="HOST:PORT", type=_tcp,
                    help="listen on a TCP socket instead of stdio")
    ap.add_argument("--log-level", default="WARNING",
                    choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="Python log level (stderr)")
    ap.add_argument("--version", action="store_true", help="print the version and exit")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="neural-lsp", description="The Neural DSL language server.")
    add_arguments(ap)
    return ap.parse_args(argv)


def serve(args: argparse.Namespace) -> int:
    """Run the server until the client exits (or print the version)."""
    if args.version:
        from neural_lsp import __version__

        print(f"neural-lsp {__version__}")
        return 0
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="neural-lsp %(levelname)s %(name)s: %(message)s")
    from neural_lsp.handlers import build_server

    server = build_server()
    if args.tcp is not None:
        server.start_tcp(*args.tcp)
    else:
        server.start_io()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return serve(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
