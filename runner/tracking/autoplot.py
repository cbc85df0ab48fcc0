"""Automatic plots every N metric logs, drawn by a background thread.

`notify()` is all the logging call does: it sets an Event. The thread redraws when told,
but never sooner than `min_interval` seconds (or five times the last drawing time, if
longer) after the previous drawing ended, so matplotlib holds the GIL a bounded share of
the time even when metrics arrive at 100k/s. The final plots are drawn at finish().
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from typing import Any


class AutoPlotter:
    def __init__(self, render: Callable[[], Any], min_interval: float = 2.0) -> None:
        self._render = render
        self.min_interval = min_interval
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._next_allowed = 0.0
        self.renders = 0
        self._warned = False

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

    def render_now(self) -> None:
        """Draw synchronously (used at finish), serialised with the background drawing."""
        with self._lock:
            self._draw()

    def _draw(self) -> None:
        started = time.monotonic()
        try:
            self._render()
            self.renders += 1
        except Exception as exc:
            if not self._warned:
                self._warned = True
                warnings.warn(f"automatic plots failed: {type(exc).__name__}: {exc}",
                              RuntimeWarning, stacklevel=2)
        ended = time.monotonic()
        self._next_allowed = ended + max(self.min_interval, 5 * (ended - started))

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._stop:
                return
            delay = self._next_allowed - time.monotonic()
            if delay > 0:
                time.sleep(min(delay, 0.25))
                continue  # re-check stop; the wake flag stays set until we draw
            self._wake.clear()
            with self._lock:
                if self._stop:
                    return
                self._draw()

    def stop(self) -> None:
        """Stop the thread without a last drawing; waits for a drawing in progress."""
        self._stop = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
