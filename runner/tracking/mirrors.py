"""Running mirror backends off the logging hot path.

`log_metrics` only puts a record on a queue; one background thread feeds every backend,
sending consecutive metric records as one batch (MLflow's log_batch takes 1,000 values in
about the time log_metric takes for one). A backend that raises is reported once as a
MirrorWarning and then skipped: the local store, written before the queue, is never at
stake. `close()` drains the queue, so nothing reaches the backends out of order or late.
"""

from __future__ import annotations

import queue
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from runner.tracking.errors import MirrorWarning
from runner.tracking.integrations import Integration

_BATCH_LIMIT = 5000
ErrorHook = Callable[[Integration, BaseException], None]


class MirrorSet:
    """Background delivery of tracker events to a list of integrations."""

    def __init__(self, integrations: list[Integration], on_error: ErrorHook | None = None) -> None:
        self.integrations = list(integrations)
        self.failed: dict[str, str] = {}
        self._on_error = on_error
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False

    def __bool__(self) -> bool:
        return bool(self.integrations)

    def _put(self, item: tuple[Any, ...]) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="neural-tracking-mirrors", daemon=True
                    )
                    self._thread.start()
        self._queue.put(item)

    def hyperparameters(self, hyperparameters: Mapping[str, Any]) -> None:
        self._put(("hparams", dict(hyperparameters)))

    def metrics(self, step: int, metrics: Mapping[str, float], timestamp: float) -> None:
        self._put(("metrics", step, metrics, timestamp))

    def artifact(self, path: str, name: str, info: Mapping[str, Any]) -> None:
        self._put(("artifact", path, name, dict(info)))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far has been delivered (or has failed)."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def close(self, status: str | None = None, timeout: float | None = 120.0) -> None:
        """Deliver what is queued, then finish(status) each backend (or just close them)."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            done = threading.Event()
            self._queue.put(("stop", done))
            done.wait(timeout)
        for integration in self._live():
            self._call(integration, lambda i: i.finish(status) if status else i.close())

    # ------------------------------------------------------------------ worker thread

    def _live(self) -> list[Integration]:
        return [i for i in self.integrations if i.backend not in self.failed]

    def _call(self, integration: Integration, action: Callable[[Integration], Any]) -> None:
        try:
            action(integration)
        except Exception as exc:  # a mirror must never take the local record down
            self.failed[integration.backend] = f"{type(exc).__name__}: {exc}"
            warnings.warn(
                f"{integration.backend} mirror failed and is switched off for this run "
                f"({type(exc).__name__}: {exc}); the local record is complete",
                MirrorWarning, stacklevel=2,
            )
            if self._on_error is not None:
                try:
                    self._on_error(integration, exc)
                except Exception:
                    pass

    def _deliver(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        for integration in self._live():
            if kind == "hparams":
                self._call(integration, lambda i: i.log_hyperparameters(item[1]))
            elif kind == "metrics_batch":
                self._call(integration, lambda i: i.log_metrics_batch(item[1]))
            elif kind == "artifact":
                self._call(integration, lambda i: i.log_artifact(item[1], item[2], item[3]))
            self._call(integration, lambda i: i.flush())

    def _run(self) -> None:
        pending: tuple[Any, ...] | None = None
        while True:
            item = pending if pending is not None else self._queue.get()
            pending = None
            if item[0] == "metrics":
                batch = [(item[1], item[2], item[3])]
                while len(batch) < _BATCH_LIMIT:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt[0] != "metrics":
                        pending = nxt
                        break
                    batch.append((nxt[1], nxt[2], nxt[3]))
                self._deliver(("metrics_batch", batch))
            elif item[0] == "flush":
                item[1].set()
            elif item[0] == "stop":
                item[1].set()
                return
            else:
                self._deliver(item)
            time.sleep(0)  # let the logging thread have the GIL between batches
