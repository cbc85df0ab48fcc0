"""Old analyses are freed off the answering path: before the next analysis when several
wait, after a quiet moment otherwise, and never while an analysis is running."""

from __future__ import annotations

import asyncio
import gc
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest

from neural_lsp.core import memory
from neural_lsp.core.memory import Reclaimer

pytestmark = pytest.mark.asyncio(loop_scope="module")


class Blob:
    """Stands for an analysis: something with a weak reference to watch it die."""


async def _settle(executor) -> None:
    await asyncio.get_running_loop().run_in_executor(executor, lambda: None)


async def test_freed_before_the_next_analysis_when_several_wait(monkeypatch):
    monkeypatch.setattr(memory, "FREE_AFTER", 60.0)
    with ThreadPoolExecutor(1) as ex:
        r = Reclaimer(ex)
        blobs = [Blob() for _ in range(memory.MAX_WAITING + 1)]
        refs = [weakref.ref(b) for b in blobs]
        for b in blobs:
            r.retire(b)
        del blobs, b
        r.before_analysis()
        await _settle(ex)
        assert all(ref() is None for ref in refs)
        r.collect()
        await _settle(ex)


async def test_freed_after_a_quiet_moment_but_not_while_analysing(monkeypatch):
    monkeypatch.setattr(memory, "FREE_AFTER", 0.05)
    monkeypatch.setattr(memory, "COLLECT_AFTER", 0.1)
    working = [True]
    with ThreadPoolExecutor(1) as ex:
        r = Reclaimer(ex, lambda: working[0])
        b = Blob()
        ref = weakref.ref(b)
        r.retire(b)
        gc.freeze()  # as documents._analyze does after each analysis
        r.analysed()
        assert gc.get_freeze_count() > 0
        del b
        await asyncio.sleep(0.2)
        await _settle(ex)
        assert ref() is not None, "an analysis is running: nothing is freed under it"
        working[0] = False
        await asyncio.sleep(0.3)
        await _settle(ex)
        assert ref() is None
        assert r.frozen == 0 and gc.get_freeze_count() == 0, "the full collection ran"
