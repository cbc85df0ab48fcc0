"""The stores the open documents' results come from, polled off the event loop.

A document's store is `neural.experiments.baseDir` when set (relative to the workspace
folder), else `$NEURAL_EXPERIMENTS_DIR`, else `neural_experiments/` in the folder the runner
works in for that file (the workspace folder holding it, see commands.workdir). While
documents are open each store is polled every POLL_S seconds in one worker thread (reading
is incremental, see study_files); when a poll sees news the client is asked to refresh
code lenses and inlay hints, and diagnostics are published again.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from neural_lsp.results.study_files import StoreReader, View

POLL_S = 1.0
FIRST_POLL_S = 5.0  # a request waits at most this long for a store's first reading


class Results:
    """Per store: a reader and its latest view. Owned by the server, one per process."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.readers: dict[str, StoreReader] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task | None = None
        self._first: dict[str, asyncio.Future] = {}
        self._bases: dict[tuple, str | None] = {}  # base_for's answers

    # ------------------------------------------------------------------ where
    def base_for(self, uri: str) -> str | None:
        """The store directory of a document (None: not a file, and no workspace).

        Asked on every publish and every hover; finding the workspace folder holding the
        file resolves paths (system calls), so the answer is kept per document, setting and
        workspace folders."""
        from neural_lsp.features.commands import roots

        ws = roots(self.server)
        from compiler.store import STORE_ENV  # (not at start-up: see core.server)

        configured = self.server.settings.experiments_dir or os.environ.get(STORE_ENV) or ""
        key = (uri, configured, tuple(ws))
        try:
            return self._bases[key]
        except KeyError:
            pass
        if len(self._bases) > 256:
            self._bases.clear()
        got = self._bases[key] = _base(uri, configured, ws)
        return got

    # ------------------------------------------------------------------ reading
    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neural-results")
        return self._executor

    def latest(self, uri: str) -> View | None:
        """The last view of the document's store, without waiting (None: never read)."""
        base = self.base_for(uri)
        reader = self.readers.get(base) if base else None
        return reader.view if reader is not None and reader.view.generation else None

    async def view(self, uri: str) -> View | None:
        """The document's store, read once first if it never was (off the event loop)."""
        base = self.base_for(uri)
        if base is None:
            return None
        reader = self.readers.get(base)
        if reader is None:
            reader = self.readers[base] = StoreReader(base)
            self.start()
        if reader.view.generation:
            return reader.view
        fut = self._first.get(base)
        if fut is None:
            fut = self._first[base] = asyncio.ensure_future(self._poll_one(reader))
        try:
            await asyncio.wait_for(asyncio.shield(fut), FIRST_POLL_S)
        except TimeoutError:
            pass
        return reader.view if reader.view.generation else None

    async def _poll_one(self, reader: StoreReader) -> bool:
        before = reader.view.generation
        view = await asyncio.get_running_loop().run_in_executor(self.executor, reader.poll)
        if not view.generation:  # an empty store: still a reading, shown as "no results"
            reader.view = View(reader.base, 1)
            return True
        return view.generation != before

    # ------------------------------------------------------------------ live
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            if not self.server.documents.docs:
                continue
            wanted = {self.base_for(uri) for uri in list(self.server.documents.docs)}
            changed = False
            for base in wanted:
                if base is None:
                    continue
                reader = self.readers.get(base)
                if reader is None:
                    reader = self.readers[base] = StoreReader(base)
                try:
                    changed |= await self._poll_one(reader)
                except Exception as exc:  # a reader bug must not end the loop
                    self.server.log_exception(f"reading {base}", exc)
            if changed:
                self.changed()

    def changed(self) -> None:
        """A store changed: insights are published again, lenses and hints refreshed."""
        self.server.diagnostics_again()
        refresh(self.server)

    def shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)


def _base(uri: str, configured: str, ws: list[str]) -> str | None:
    from neural_lsp.features.commands import workdir

    if configured and os.path.isabs(configured):
        return os.path.normpath(configured)
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if path is None and not ws:
        return None
    where = workdir(path, ws)
    from compiler.store import DEFAULT_STORE

    return os.path.normpath(os.path.join(where, configured or DEFAULT_STORE))


def refresh(server: Any) -> None:
    """Ask the client to ask again for what depends on results."""
    if server.capability("workspace.code_lens.refresh_support"):
        server.protocol.send_request(types.WORKSPACE_CODE_LENS_REFRESH, None)
    if server.capability("workspace.inlay_hint.refresh_support"):
        server.protocol.send_request(types.WORKSPACE_INLAY_HINT_REFRESH, None)
