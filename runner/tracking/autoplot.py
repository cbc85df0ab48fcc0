"""Automatic plots every N metric logs, drawn in a separate process.

`notify()` is all the logging call does: it sets an Event. A scheduler thread, blocked
most of the time, asks a long-lived worker process (plot_worker.py) to redraw; the worker
reads metrics.jsonl itself. Drawing in a thread of the logging process was measured to
cut `log_metrics` throughput by 30-70% (matplotlib holding the GIL); in another process
it costs the logging call nothing. Redraws are at least `min_interval` seconds (or five
times the last drawing time) apart, bounding the CPU the worker takes. A standalone
tracker draws its final plots in-process at finish(), after the worker has stopped; a
tracker in a TrackingSession (a search, `neural run`) leaves all drawing, the final plots
included, to the session's one helper (`SharedPlots`).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import warnings
from collections.abc import Callable
from typing import IO, Any

from runner.tracking.workers import spawn_worker


class AutoPlotter:
    def __init__(
        self, experiment_dir: str | os.PathLike[str], render: Callable[[], Any],
        min_interval: float = 2.0,
    ) -> None:
        self.experiment_dir = str(experiment_dir)
        self._render = render
        self.min_interval = min_interval
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._next_allowed = 0.0
        self._worker: subprocess.Popen[str] | None = None
        self._failed = False
        self.renders = 0

    def notify(self) -> None:
        """Ask for a redraw; returns at once."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop:
                    self._thread = threading.Thread(
                        target=self._run, name="neural-tracking-plots", daemon=True
                    )
                    self._thread.start()
        self._wake.set()

    def final(self) -> None:
        """The last drawing, in this process (a standalone tracker's finish(), after stop())."""
        self.render_now()

    def render_now(self) -> None:
        """Draw synchronously in this process."""
        try:
            self._render()
            self.renders += 1
        except Exception as exc:
            warnings.warn(f"plots failed: {type(exc).__name__}: {exc}", RuntimeWarning,
                          stacklevel=2)

    # ------------------------------------------------------------------ scheduler

    def _start_worker(self) -> subprocess.Popen[str]:
        return spawn_worker("runner.tracking.plot_worker", self.experiment_dir)

    def _give_up(self, why: str) -> None:
        self._failed = True
        warnings.warn(f"automatic plots are off for this run: {why}; they are still drawn at "
                      "finish()", RuntimeWarning, stacklevel=2)

    def _ask(self) -> None:
        if self._worker is None:
            try:
                self._worker = self._start_worker()
            except OSError as exc:
                self._give_up(f"cannot start the plot process ({exc})")
                return
        stdin: IO[str] | None = self._worker.stdin
        stdout: IO[str] | None = self._worker.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write("render\n")
            stdin.flush()
            reply = stdout.readline().strip()
        except (OSError, ValueError) as exc:
            reply = f"error {exc}"
        if reply.startswith("ok"):
            self.renders += 1
        elif not reply:
            self._give_up("the plot process exited")
        else:
            self._give_up(reply.removeprefix("error ").strip())

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._stop or self._failed:
                return
            delay = self._next_allowed - time.monotonic()
            if delay > 0:
                time.sleep(min(delay, 0.25))
                continue  # re-check stop; the wake flag stays set until we draw
            self._wake.clear()
            started = time.monotonic()
            self._ask()
            ended = time.monotonic()
            self._next_allowed = ended + max(self.min_interval, 5 * (ended - started))

    def stop(self) -> None:
        """Stop scheduling and the worker; waits for a drawing in progress."""
        self._stop = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        worker, self._worker = self._worker, None
        if worker is not None:
            try:
                if worker.stdin is not None:
                    worker.stdin.close()
                worker.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                worker.kill()
                worker.wait()
            finally:
                if worker.stdout is not None:
                    worker.stdout.close()


class SharedPlots:
    """A tracker's plots drawn by its session's helper (one process for a whole search):
    `notify()` and the final drawing are each one line on a pipe, at most one request per
    `min_interval` seconds while logging (none with `live=False`: only the final drawing)."""

    def __init__(self, helper: Any, experiment_dir: str | os.PathLike[str],
                 render: Callable[[], Any], min_interval: float = 2.0, live: bool = True) -> None:
        self.helper = helper
        self.experiment_dir = str(experiment_dir)
        self._render = render
        self.min_interval = min_interval
        self.live = live
        self._next_allowed = 0.0

    def notify(self) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if now >= self._next_allowed:
            self._next_allowed = now + self.min_interval
            self.helper.request(self.experiment_dir)

    def stop(self) -> None:
        """Nothing runs in this process."""

    def final(self) -> None:
        """The last drawing, by the helper, after this returns."""
        self.helper.request(self.experiment_dir, final=True)

    def render_now(self) -> None:
        """Draw in this process (only when mirrors need the files at once)."""
        try:
            self._render()
        except Exception as exc:
            warnings.warn(f"plots failed: {type(exc).__name__}: {exc}", RuntimeWarning,
                          stacklevel=2)
