"""Long jobs (training, HPO) as subprocesses of the runner CLI, read as JSON lines.

The server never imports an ML framework: `python -m runner run FILE ... --progress-json`
does the work and prints one JSON object per line; cancelling sends SIGTERM (the runner
stops cleanly) and SIGKILL if it is still there after a grace period.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

GRACE_SECONDS = 10.0
LINE_LIMIT = 16 * 1024 * 1024  # a result line may carry many parameters


# The interpreter that runs the runner when it is not the server's own: the VS Code extension
# runs a bundled server on any Python and the jobs in the workspace's .venv, which has the
# ML frameworks.
RUNNER_PYTHON_ENV = "NEURAL_RUNNER_PYTHON"


def runner_argv(*args: str) -> list[str]:
    """The runner CLI in $NEURAL_RUNNER_PYTHON, else in this interpreter."""
    return [os.environ.get(RUNNER_PYTHON_ENV) or sys.executable, "-m", "runner", *args]


@dataclass(slots=True, eq=False)
class JobResult:
    returncode: int
    events: list[dict] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    cancelled: bool = False

    def last(self, event: str) -> dict | None:
        return next((e for e in reversed(self.events) if e.get("event") == event), None)

    def error_text(self) -> str:
        err = self.last("error")
        if err is not None:
            return str(err.get("message"))
        tail = [line for line in self.stderr if line.strip()][-8:]
        return "\n".join(tail) or f"exit status {self.returncode}"


class Job:
    """One subprocess; `events` get each JSON object as it arrives."""

    def __init__(self, argv: list[str], cwd: str, on_event: Callable[[dict], Any] | None = None,
                 on_output: Callable[[str], Any] | None = None, grace: float = GRACE_SECONDS) -> None:
        self.argv = argv
        self.cwd = cwd
        self.on_event = on_event
        self.on_output = on_output
        self.grace = grace
        self.proc: asyncio.subprocess.Process | None = None
        self.cancelled = False
        self._kill_timer: asyncio.TimerHandle | None = None

    async def run(self) -> JobResult:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv, cwd=self.cwd, env=env, limit=LINE_LIMIT,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True)
        if self.cancelled:  # cancelled while starting
            self._terminate()
        result = JobResult(0)
        tail: deque[str] = deque(maxlen=200)
        try:
            await asyncio.gather(self._stdout(result), self._stderr(tail))
            result.returncode = await self.proc.wait()
        finally:
            if self.proc.returncode is None:  # the awaiting task was cancelled: do not leave it
                self.cancel()
            if self._kill_timer is not None:
                self._kill_timer.cancel()
        result.stderr = list(tail)
        result.cancelled = self.cancelled
        return result

    async def _stdout(self, result: JobResult) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        async for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                event = None
            if isinstance(event, dict) and "event" in event:
                result.events.append(event)
                if self.on_event is not None:
                    self.on_event(event)
            elif self.on_output is not None:
                self.on_output(line)

    async def _stderr(self, tail: deque[str]) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        async for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            tail.append(line)
            if self.on_output is not None:
                self.on_output(line)

    def cancel(self) -> None:
        """SIGTERM now, SIGKILL after the grace period."""
        self.cancelled = True
        self._terminate()

    def _terminate(self) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            return
        if self._kill_timer is None:
            loop = asyncio.get_running_loop()
            self._kill_timer = loop.call_later(self.grace, self._kill)

    def _kill(self) -> None:
        proc = self.proc
        if proc is not None and proc.returncode is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the runner and any workers it started
            except (ProcessLookupError, PermissionError):
                proc.kill()
