"""When the memory of old analyses is given back, so it never delays an answer.

An analysis is a large graph of small objects (hundreds of thousands at 10,000 layers).
Two costs follow it around: freeing a replaced one (about 60 ms at 10,000 layers, holding
the GIL), and the cyclic GC traversing every live one again and again. So:
  - a new analysis is frozen (`gc.freeze()`): collections while the user types skip it
    (an analysis leaves almost no cyclic garbage: a few hundred bytes);
  - replaced analyses are freed in the worker thread once the server has been idle for a
    moment, or, when a few have piled up, just before the next analysis (the cost then
    lands on the edit that made them old, never on a hover);
  - after a longer pause, one full collection (`gc.unfreeze(); gc.collect()`) takes
    whatever cycles were left.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from concurrent.futures import Executor

FREE_AFTER = 0.5  # seconds of quiet before old analyses are freed
COLLECT_AFTER = 2.0  # seconds of quiet before a full collection
MAX_WAITING = 2  # old analyses kept before freeing them right away
MAX_FROZEN = 100  # analyses frozen before a full collection, quiet or not


def _free(objects: list) -> None:
    objects.clear()


def _collect() -> None:
    gc.unfreeze()
    gc.collect()


class Reclaimer:
    def __init__(self, executor: Executor, working: Callable[[], bool] = lambda: False) -> None:
        self.executor = executor
        self.working = working  # an analysis is queued or running: not quiet
        self.waiting: list = []
        self.frozen = 0
        self._free_timer: asyncio.TimerHandle | None = None
        self._collect_timer: asyncio.TimerHandle | None = None

    def analysed(self) -> None:
        """A new analysis exists (frozen by documents._analyze)."""
        self.frozen += 1
        if self.frozen >= MAX_FROZEN:
            self.collect()

    def retire(self, *objects) -> None:
        """Objects nothing will read again; freed later, off the answering path."""
        for o in objects:
            if o is not None and not any(o is w for w in self.waiting):
                self.waiting.append(o)
        self._arm()

    def before_analysis(self) -> None:
        """Called before an analysis is queued on the worker: too many waiting? free them
        first, in the same queue."""
        if len(self.waiting) > MAX_WAITING:
            self.free()

    def busy(self) -> None:
        """Work arrived: postpone what waits for quiet."""
        if self._free_timer is not None or self._collect_timer is not None:
            self._arm()

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        for t in (self._free_timer, self._collect_timer):
            if t is not None:
                t.cancel()
        self._free_timer = loop.call_later(FREE_AFTER, self._quiet, self.free) if self.waiting else None
        self._collect_timer = loop.call_later(COLLECT_AFTER, self._quiet, self.collect) \
            if self.frozen else None

    def _quiet(self, then: Callable[[], None]) -> None:
        if self.working():
            self._arm()  # still analysing: its result would wait behind us
        else:
            then()

    def _submit(self, fn, *args) -> None:
        try:
            self.executor.submit(fn, *args)
        except RuntimeError:  # shutting down
            pass

    def free(self) -> None:
        if self._free_timer is not None:
            self._free_timer.cancel()
            self._free_timer = None
        objects, self.waiting = self.waiting, []
        if objects:
            self._submit(_free, objects)

    def collect(self) -> None:
        if self._collect_timer is not None:
            self._collect_timer.cancel()
            self._collect_timer = None
        self.free()
        if self.frozen:
            self.frozen = 0
            self._submit(_collect)
