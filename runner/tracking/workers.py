"""Starting the helper processes (plots, mirrors) with this package importable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding `runner/`


def spawn_worker(
    module: str, *args: str, stderr: int | IO[Any] = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    """`python -m module args...` with line-based text pipes on stdin and stdout.

    The package root goes first on PYTHONPATH, so the child imports this very code even
    when the parent found it through a sys.path tweak rather than an installation.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
        text=True, encoding="utf-8", env=env, close_fds=True, bufsize=1,
    )


def claim_stdout() -> IO[str]:
    """In a worker: keep the real stdout for protocol lines only.

    Libraries (and their subprocesses, like W&B's service) that print would otherwise
    splice text into the event stream; their output goes to stderr from here on.
    """
    events = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return events
