"""Running mirror backends outside the logging process.

A tracker with mirrors starts one helper process (mirror_worker.py) that owns the MLflow,
TensorBoard and W&B clients. The helper reads metrics straight from metrics.jsonl, so
`log_metrics` does no mirror work at all: with a backend in the same process, its Python
work (MLflow's log_batch: ~80 us per value) was measured to take the GIL from the logging
thread and cut `log_metrics` from ~190k to ~27k calls/s. Hyperparameters and artifacts
are sent over a pipe. A backend that raises is reported once as a MirrorWarning and then
left out; the local store, written first, is never at stake.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import threading
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runner.tracking.errors import MirrorWarning
from runner.tracking.values import to_json
from runner.tracking.workers import spawn_worker

ErrorHook = Callable[[str, str], None]
LOG_FILE = "mirrors.log"  # the helper's stderr: library chatter and crashes, for debugging
START_TIMEOUT_S = 90.0  # importing the backends on a loaded machine; servers fail fast on their own


class MirrorProcess:
    """The parent's handle on the mirror helper process."""

    def __init__(
        self,
        experiment_dir: str | os.PathLike[str],
        experiment_name: str,
        specs: list[dict[str, Any]],
        offset: int = 0,
        on_error: ErrorHook | None = None,
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        self._on_error = on_error
        self.failed: dict[str, str] = {}
        self.report: list[dict[str, Any]] = []
        self._events: dict[str, threading.Event] = {}
        self._send_lock = threading.Lock()
        self._ids = itertools.count()
        self._closed = False
        self._ready = threading.Event()
        self._gone = threading.Event()
        with open(Path(experiment_dir) / LOG_FILE, "a", encoding="utf-8") as log:
            self._proc = spawn_worker("runner.tracking.mirror_worker", str(experiment_dir),
                                      stderr=log)
        self._reader = threading.Thread(target=self._read_events, name="neural-tracking-mirrors",
                                        daemon=True)
        self._reader.start()
        self._send({"op": "start", "experiment_name": experiment_name, "offset": offset,
                    "mirrors": specs})
        if not self._ready.wait(start_timeout) or not self.report:
            self.report = [{"backend": s["backend"], "kind": "failed",
                            "error": "the mirror process did not start (see "
                                     f"{Path(experiment_dir) / LOG_FILE})"} for s in specs]
            self.close(None, timeout=5)
        self.live = [r["backend"] for r in self.report if "error" not in r]
        if not self.live:
            self.close(None, timeout=30)

    def __bool__(self) -> bool:
        return bool(self.live) and not self._closed

    # ------------------------------------------------------------------- commands

    def _send(self, command: dict[str, Any]) -> bool:
        line = json.dumps(command) + "\n"
        with self._send_lock:
            stdin = self._proc.stdin
            if stdin is None or stdin.closed:
                return False
            try:
                stdin.write(line)
                stdin.flush()
                return True
            except (OSError, ValueError):
                return False

    def hyperparameters(self, hyperparameters: Mapping[str, Any]) -> None:
        self._send({"op": "hparams", "data": to_json(dict(hyperparameters), "hyperparameters")})

    def artifact(self, path: str, name: str, info: Mapping[str, Any]) -> None:
        self._send({"op": "artifact", "path": str(path), "name": name,
                    "info": to_json(dict(info), "artifact info")})

    def flush(self, timeout: float | None = 60.0) -> bool:
        """Wait until the helper has forwarded everything logged so far."""
        key = f"synced:{next(self._ids)}"
        done = self._events.setdefault(key, threading.Event())
        if not self._send({"op": "sync", "id": key}):
            return False
        return done.wait(timeout)

    def close(self, status: str | None = None, timeout: float = 300.0) -> None:
        """Forward what is left, finish(status) each backend (or just close them), stop."""
        if self._closed:
            return
        self._closed = True
        done = self._events.setdefault("closed", threading.Event())
        if self._send({"op": "close", "status": status}) and not done.wait(timeout):
            warnings.warn(f"mirror process still busy after {timeout:.0f} s; stopped it (the "
                          "local record is complete)", MirrorWarning, stacklevel=2)
        with self._send_lock:
            try:
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
            except OSError:
                pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(timeout=10)
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    # ------------------------------------------------------------------ events

    def _read_events(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        for line in stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            kind = event.get("event")
            if kind == "ready":
                self.report = event.get("mirrors", [])
                self._ready.set()
            elif kind == "failed":
                self._failed(event.get("backend", "?"), event.get("error", "unknown error"))
            elif kind == "synced":
                self._events.setdefault(f"{event.get('id')}", threading.Event()).set()
            elif kind == "closed":
                self._events.setdefault("closed", threading.Event()).set()
        self._ready.set()
        self._gone.set()
        for event in list(self._events.values()):  # nobody waits forever on a dead helper
            event.set()
        if not self._closed:
            for backend in getattr(self, "live", []):
                if backend not in self.failed:
                    self._failed(backend, "the mirror process exited")

    def _failed(self, backend: str, error: str) -> None:
        self.failed[backend] = error
        warnings.warn(
            f"{backend} mirror failed and is switched off for this run ({error}); "
            "the local record is complete", MirrorWarning, stacklevel=2,
        )
        if self._on_error is not None:
            try:
                self._on_error(backend, error)
            except Exception:
                pass
