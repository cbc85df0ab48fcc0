"""Importing TensorFlow without its C++ start-up banners.

TensorFlow's native libraries log before absl's logging is initialised, and those lines
ignore TF_CPP_MIN_LOG_LEVEL: "All log messages before absl::InitializeLog()...", the oneDNN
note, "Could not find cuda drivers". Once initialised, level 3 also hides the `cuInit` error a
CPU-only machine gets when devices are listed. So the level is set first, and file descriptor 2
is read while the import runs: info and warning lines are dropped, anything else is passed on.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

LOG_LEVEL = {"TF_CPP_MIN_LOG_LEVEL": "3"}  # errors reach Python as exceptions; the C++ log adds noise
_BANNER = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IW]\d{4} [\d:. ]+\d+ \S+:\d+\] "
    r"|E\d{4} [\d:. ]+\d+ \S+:\d+\] failed call to cuInit)"
)


def is_banner(line: str) -> bool:
    return bool(_BANNER.match(line))


@contextlib.contextmanager
def quiet_tensorflow() -> Iterator[None]:
    """Run an `import keras` / `import tensorflow` with the banners filtered out of stderr."""
    for key, value in LOG_LEVEL.items():
        os.environ.setdefault(key, value)
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no fd 2 to redirect: import as is
        yield
        return
    with tempfile.TemporaryFile() as buffer:
        os.dup2(buffer.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            buffer.seek(0)
            kept = [line for line in buffer.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if not is_banner(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()
