"""The one exception the CLI turns into a clean message and exit status."""

from __future__ import annotations


class CLIError(Exception):
    """A user mistake (bad file, bad flag value): printed as one line, never a traceback."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status
