"""`neural-lsp` / `python -m neural_lsp`: stdio by default, or `--tcp HOST:PORT`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="neural-lsp", description="The Neural DSL language server.")
    ap.add_argument("--stdio", action="store_true",
                    help="talk over stdin/stdout (the default; accepted for editors that pass it)")
    ap.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead of stdio")
    ap.add_argument("--log-level", default="WARNING",
                    choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="Python log level (stderr)")
    ap.add_argument("--version", action="store_true", help="print the version and exit")
    args = ap.parse_args(argv)
    if args.tcp is not None:
        host, sep, port = args.tcp.rpartition(":")
        if not sep or not port.isdigit():
            ap.error(f"--tcp takes HOST:PORT, e.g. 127.0.0.1:2087; got {args.tcp!r}")
        args.host, args.port = host or "127.0.0.1", int(port)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.version:
        from neural_lsp import __version__

        print(f"neural-lsp {__version__}")
        return 0
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="neural-lsp %(levelname)s %(name)s: %(message)s")
    from neural_lsp.features import build_server

    server = build_server()
    if args.tcp is not None:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    return 0


if __name__ == "__main__":
    sys.exit(main())
