"""`neural lsp`: the language server, as `neural-lsp` starts it (editors may use either)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from neural_lsp.__main__ import add_arguments

    p = sub.add_parser("lsp", help="the language server (LSP over stdio, or --tcp HOST:PORT)",
                       description="The Neural DSL language server: diagnostics, shapes, HPO "
                                   "hovers, completion and Run HPO in any LSP editor.")
    add_arguments(p)
    p.set_defaults(func=cmd_lsp)


def cmd_lsp(args: argparse.Namespace) -> int:
    from neural_lsp.__main__ import serve

    return serve(args)
