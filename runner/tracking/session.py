"""What the experiments of one search (or one `neural run`) share, so a trial pays only for
its own record.

A `TrackingSession` captures the environment (package versions, git state and diff, CPU/GPU)
once, and runs one long-lived plot helper (plot_worker.py --serve) for all its experiments.
A tracker given `session=` copies the captured environment into its metadata (with its
own process id and command line, which liveness relies on) and asks the helper for its
plots with one line on a pipe, never drawing them itself.

    with TrackingSession() as session:                      # once per search
        for trial in trials:
            with ExperimentTracker(name, session=session) as t:
                ...

`environment` is plain JSON data: a search's worker processes build their own session
from it (`TrackingSession(environment=parent.environment)`), capturing nothing again; its
`captured` entry (process id, time) says which process captured it, so every experiment of
one search shows the same capture. A worker's plots go to the parent's one helper through
`ForwardedPlots` (a line on the worker's channel to its parent).
`close()` does not wait for drawings in progress unless asked: the helper finishes what
was asked and exits on its own, a little after the search.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from runner.tracking.workers import spawn_worker


def current_command() -> dict[str, Any]:
    """This process's command line, folder and id (what liveness checks)."""
    return {"argv": list(sys.argv), "cwd": os.getcwd(), "pid": os.getpid()}


def capture_shared_environment() -> dict[str, Any]:
    """The environment of a search as JSON data: metadata part, requirements, git diff."""
    from runner.tracking.environment import capture_environment, requirements_text

    env, diff = capture_environment()
    env.pop("command", None)  # per process: added by each tracker
    env["captured"] = {"pid": os.getpid(), "time": time.time()}  # once per search
    return {"metadata": env, "requirements": requirements_text(), "git_diff": diff}


class PlotHelper:
    """One plot process for many experiments; requests are one line each, answers are read
    by a thread, failures reported as RuntimeWarnings when the session closes."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self.errors: list[str] = []
        self.drawn = 0
        self._failed = False

    def _start(self) -> subprocess.Popen[str] | None:
        if self._proc is None and not self._failed:
            try:
                self._proc = spawn_worker("runner.tracking.plot_worker", "--serve")
            except OSError as exc:
                self._failed = True
                self.errors.append(f"cannot start the plot process ({exc})")
                return None
            self._reader = threading.Thread(target=self._read, name="neural-plots",
                                            daemon=True)
            self._reader.start()
        return self._proc

    def _read(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        for line in proc.stdout:
            kind, _, rest = line.strip().partition(" ")
            if kind == "ok":
                self.drawn += 1
            elif kind == "error":
                self.errors.append(rest)

    def request(self, folder: str | os.PathLike[str], final: bool = False) -> None:
        """Ask for a drawing of `folder`'s plots; returns at once."""
        with self._lock:
            proc = self._start()
            if proc is None or proc.stdin is None:
                return
            try:
                proc.stdin.write(f"{'final' if final else 'render'} {os.fspath(folder)}\n")
                proc.stdin.flush()
            except (OSError, ValueError):
                self._failed = True
                self.errors.append("the plot process exited")

    def close(self, wait: float | None = 0.0) -> bool:
        """No more requests. With `wait` (seconds, None = as long as it takes) wait for the
        drawings asked for; True if they are all done."""
        with self._lock:
            proc, self._proc = self._proc, None
            self._failed = True
        if proc is None:
            return True
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        if wait == 0.0:
            return proc.poll() is not None
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return False
        if self._reader is not None:
            self._reader.join(timeout=5)
        return True


class ForwardedPlots:
    """A worker's plot requests, sent to the process that owns the search's one helper as
    `plot render|final DIR` lines on `channel` (so N workers start no plot process)."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self._lock = threading.Lock()
        self.errors: list[str] = []

    def request(self, folder: str | os.PathLike[str], final: bool = False) -> None:
        with self._lock:
            try:
                self.channel.write(f"plot {'final' if final else 'render'} {os.fspath(folder)}\n")
                self.channel.flush()
            except (OSError, ValueError):
                pass  # the parent is gone: the search is over anyway

    def close(self, wait: float | None = 0.0) -> bool:
        return True


def forward_plot_request(line: str, plots: Any) -> bool:
    """In the owner of the helper: pass on a worker's `plot OP DIR` line; False if it is not one."""
    kind, _, rest = line.partition(" ")
    op, _, folder = rest.partition(" ")
    if kind != "plot" or op not in ("render", "final") or not folder:
        return False
    if plots is not None:
        plots.request(folder, final=op == "final")
    return True


class TrackingSession:
    """Shared by the experiments of one search: environment captured once, one plot helper
    (or, in a search's worker process, a `ForwardedPlots` to the parent's)."""

    def __init__(self, environment: dict[str, Any] | None = None, *, capture: bool = True,
                 plots: bool | PlotHelper | ForwardedPlots = True, live_plots: bool = True) -> None:
        """`live_plots=False` (a search's trials): each experiment's plots are drawn once, when
        it ends; a trial lasts seconds and is watched in the trial table, and a redraw costs
        about a second of CPU that the other trials' training would lose."""
        self.live_plots = live_plots
        if environment is None and capture:
            environment = capture_shared_environment()
        self.environment = environment
        if isinstance(plots, bool):
            plots = PlotHelper() if plots else None
        self.plots = plots
        self._files: tempfile.TemporaryDirectory[str] | None = None
        self._files_lock = threading.Lock()

    def environment_files(self) -> dict[str, Path]:
        """requirements.txt and git_diff.patch, written once, for each tracker to store."""
        if not self.environment:
            return {}
        with self._files_lock:
            if self._files is None:
                self._files = tempfile.TemporaryDirectory(prefix="neural-env-")
                folder = Path(self._files.name)
                (folder / "requirements.txt").write_text(self.environment["requirements"],
                                                         encoding="utf-8")
                if self.environment.get("git_diff"):
                    (folder / "git_diff.patch").write_text(self.environment["git_diff"],
                                                           encoding="utf-8")
            folder = Path(self._files.name)
        return {p.name: p for p in sorted(folder.iterdir())}

    def close(self, wait: float | None = 0.0) -> None:
        """End the session; plots asked for are finished by the helper (see PlotHelper.close)."""
        if self.plots is not None:
            self.plots.close(wait)
            for error in self.plots.errors:
                warnings.warn(f"plots failed: {error}", RuntimeWarning, stacklevel=2)
            self.plots.errors.clear()
        with self._files_lock:
            if self._files is not None:
                self._files.cleanup()
                self._files = None

    def __enter__(self) -> TrackingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
