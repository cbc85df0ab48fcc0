"""Open documents, their edits, and one compiler analysis per (uri, version).

Edits are applied here (not in pygls' workspace, whose line model splits on more
characters than LSP clients do and costs O(document) per access). An edit inside one layer
statement updates the current analysis in place, right away (compiler.incremental: time
that does not grow with the file). Other edits are analysed whole in one worker thread;
while one runs, newer edits coalesce so only the latest text is analysed next, and a
result is published only if its version is still the document's version.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types

from neural_lsp.core.memory import Reclaimer
from neural_lsp.core.positions import UTF16, LineMap


class AnalysisFailed(RuntimeError):
    """The compiler raised on a text (it should not: the error is logged)."""


class UnknownDocument(LookupError):
    """A request named a document that is not open."""

    def __init__(self, uri: str) -> None:
        super().__init__(f"no open document {uri}")
        self.uri = uri


class ContentModified(RuntimeError):
    """The snapshot a request was answering on was updated to a newer version meanwhile."""


def _analyze(text: str) -> Any:
    """analyze(), then freeze its objects before the collector can see them.

    analyze() pauses the cyclic GC while it runs, but that only defers the work: the first
    allocation after it returns would make a collection traverse every object it made
    (about 150 ms at 10,000 layers). Frozen, they are never traversed (see memory.py)."""
    from compiler.analysis import analyze

    gc.disable()
    try:
        return analyze(text)
    finally:
        gc.freeze()
        gc.enable()


@dataclass(slots=True, eq=False)
class Snapshot:
    """One analysed version of a document: everything a feature needs to answer."""

    uri: str
    version: int
    analysis: Any  # compiler.analysis.Analysis
    lines: LineMap
    cache: dict = field(default_factory=dict)  # results built once per version
    # Set when an edit updated the analysis in place for a newer version (incremental).
    superseded: bool = False

    @property
    def text(self) -> str:
        return self.analysis.text


@dataclass(slots=True, eq=False)
class Document:
    uri: str
    text: str
    version: int
    language_id: str = "neural"
    snapshot: Snapshot | None = None
    task: asyncio.Task | None = None
    waiters: list[tuple[int, asyncio.Future]] = field(default_factory=list)
    _lines: LineMap | None = None
    closed: bool = False
    failed_version: int | None = None

    def lines(self, encoding: str) -> LineMap:
        m = self._lines
        if m is None or m.encoding != encoding:
            m = self._lines = LineMap(self.text, encoding)
        return m


class DocumentStore:
    """Documents by uri; analyses on demand, latest version first."""

    def __init__(self, on_analysed: Callable[[Document, Snapshot], None] | None = None,
                 on_error: Callable[[Document, BaseException], None] | None = None,
                 cache_size: int = 4, cache_chars: int = 1_000_000,
                 prepare: Callable[[Snapshot], Any] | None = None) -> None:
        self.docs: dict[str, Document] = {}
        self.encoding = UTF16
        self.on_analysed = on_analysed
        self.on_error = on_error
        # Run in the worker thread on each new whole analysis before `on_analysed`: what
        # publishing needs is built there (and cached on the snapshot), not on the event loop.
        self.prepare = prepare
        self._executor: ThreadPoolExecutor | None = None
        self._reclaimer: Reclaimer | None = None
        # Recently analysed texts: undo/redo and reopening cost nothing.
        self._recent: OrderedDict[str, Any] = OrderedDict()
        self._cache_size = cache_size
        self._cache_chars = cache_chars
        self.analyses_run = 0
        self.updates_run = 0  # edits analysed incrementally (compiler.incremental)
        # Held while an analysis is updated in place and while the worker thread reads one
        # (re-entrant: publishing inside an update may apply the pending moves).
        self.lock = threading.RLock()

    # ------------------------------------------------------------------ edits
    def open(self, uri: str, text: str, version: int, language_id: str = "neural") -> Document:
        old = self.docs.get(uri)
        if old is not None:
            self._close(old)
        doc = self.docs[uri] = Document(uri, text, version, language_id)
        self.schedule(doc)
        return doc

    def change(self, uri: str, version: int,
               changes: list[types.TextDocumentContentChangeEvent]) -> Document:
        doc = self.get(uri)
        text = doc.text
        for ch in changes:
            rng = getattr(ch, "range", None)
            if rng is None:
                text = ch.text
                doc._lines = None
                continue
            lines = doc._lines if doc._lines is not None and doc._lines.text is text \
                else LineMap(text, self.encoding)
            start, end = lines.offset(rng.start), lines.offset(rng.end)
            if end < start:
                start, end = end, start
            doc._lines = lines.edited(start, end, ch.text)
            text = doc._lines.text
        doc.text = text
        doc.version = version
        if not self._update(doc):
            self.schedule(doc)
        return doc

    def _update(self, doc: Document) -> bool:
        """An edit inside one layer statement: update the analysis in place and publish (the
        statements after the edit take their offset moves when read); False when the whole
        text must be analysed."""
        snap = doc.snapshot
        if snap is None or snap.superseded or doc.closed or (doc.task is not None and not doc.task.done()):
            return False
        from compiler import incremental

        self.touch()
        analysis, text, version = snap.analysis, doc.text, doc.version
        if text == analysis.text:  # e.g. a change undone within one notification
            self._install(doc, Snapshot(doc.uri, version, analysis, snap.lines))
            return True
        # One locked stretch: no worker-thread reader sees the analysis half-updated.
        with self.lock:
            try:
                pending = incremental.update(analysis, text)
            except Exception as exc:  # it may be half-updated: analyse the text afresh
                return self._broken(doc, snap, exc)
            if pending is None:
                return False
            snap.superseded = True
            for key in [t for t, a in self._recent.items() if a is analysis]:
                del self._recent[key]
            new = doc.snapshot = Snapshot(doc.uri, version, analysis, doc.lines(self.encoding))
            self.updates_run += 1
            try:
                pending.finish()  # (cheap: the statements after the edit move when read)
            except Exception as exc:
                return self._broken(doc, new, exc)
            if self.on_analysed is not None:
                self.on_analysed(doc, new)
        self._resolve(doc, new)
        return True

    def _broken(self, doc: Document, snap: Snapshot, exc: BaseException) -> bool:
        """An update raised (a bug): forget the analysis it was changing."""
        snap.superseded = True
        doc.snapshot = None
        if self.on_error is not None:
            self.on_error(doc, exc)
        return False

    def _install(self, doc: Document, snap: Snapshot, publish: bool = True) -> None:
        doc.snapshot = snap
        if publish and self.on_analysed is not None:
            self.on_analysed(doc, snap)
        self._resolve(doc, snap)

    @staticmethod
    def _resolve(doc: Document, snap: Snapshot) -> None:
        """Requests waiting for this version (or an older one) get the snapshot."""
        keep = []
        for want, fut in doc.waiters:
            if want <= snap.version:
                if not fut.done():
                    fut.set_result(snap)
            else:
                keep.append((want, fut))
        doc.waiters = keep

    def read(self, snap: Snapshot, fn: Callable, *args: Any) -> Any:
        """fn(*args) in the worker thread on `snap`'s analysis, which no update changes meanwhile."""
        with self.lock:
            if snap.superseded:
                raise ContentModified(f"{snap.uri} changed (version {snap.version} is gone)")
            return fn(*args)

    def close(self, uri: str) -> Document | None:
        doc = self.docs.pop(uri, None)
        if doc is not None:
            self._close(doc)
        return doc

    def _close(self, doc: Document) -> None:
        doc.closed = True
        for _v, fut in doc.waiters:
            if not fut.done():
                fut.set_result(None)
        doc.waiters.clear()

    def get(self, uri: str) -> Document:
        doc = self.docs.get(uri)
        if doc is None:
            raise UnknownDocument(uri)
        return doc

    # ------------------------------------------------------------------ analysis
    def touch(self) -> None:
        """The client asked for something: memory work waits for a quiet moment."""
        if self._reclaimer is not None:
            self._reclaimer.busy()

    def schedule(self, doc: Document) -> None:
        self.touch()
        if doc.task is None or doc.task.done():
            doc.task = asyncio.get_running_loop().create_task(self._pump(doc))

    async def snapshot(self, uri: str, version: int | None = None,
                       settled: bool = True) -> Snapshot:
        """The analysis of `version` (default: the current one) or of a newer version.

        After an incremental edit the layer statements after it still have offset moves
        pending (compiler.offsets.ShiftLog), taken when a statement is read through its
        network's list. Features that read only that way (hover, via `locate`) pass
        settled=False and answer at once; the others get every move applied first."""
        doc = self.get(uri)
        want = doc.version if version is None else version
        snap = doc.snapshot
        if snap is not None and snap.version >= want:
            return self.settled(snap) if settled else snap
        if doc.failed_version is not None and doc.failed_version >= want:
            raise AnalysisFailed(f"the analysis of {uri} (version {doc.failed_version}) failed")
        fut = asyncio.get_running_loop().create_future()
        doc.waiters.append((want, fut))
        self.schedule(doc)
        got = await fut
        if got is None:
            raise UnknownDocument(uri)
        return self.settled(got) if settled else got

    def settled(self, snap: Snapshot) -> Snapshot:
        """The snapshot with every pending offset move applied."""
        a = snap.analysis
        if a.shifts is not None and a.shifts.entries:
            with self.lock:  # as an update: no worker-thread reader sees it half-moved
                a.settle()
        return snap

    def analysing(self) -> bool:
        return any(d.task is not None and not d.task.done() for d in self.docs.values())

    def latest(self, uri: str) -> Snapshot | None:
        doc = self.docs.get(uri)
        return doc.snapshot if doc is not None else None

    async def _pump(self, doc: Document) -> None:
        loop = asyncio.get_running_loop()
        while not doc.closed and doc.failed_version != doc.version and (
                doc.snapshot is None or doc.snapshot.version != doc.version):
            text, version = doc.text, doc.version
            analysis = self._recent.get(text)
            if analysis is None:
                self.reclaimer.before_analysis()
                try:
                    analysis = await loop.run_in_executor(self.executor, _analyze, text)
                except Exception as exc:  # the compiler promises not to raise; stay up if it does
                    doc.failed_version = version
                    self._fail_waiters(doc, version, exc)
                    if self.on_error is not None:
                        self.on_error(doc, exc)
                    continue
                self.analyses_run += 1
                self.reclaimer.analysed()
            else:
                self._recent.move_to_end(text)
            if doc.closed:
                return
            lines = doc._lines if doc._lines is not None and doc._lines.text is text \
                and doc._lines.encoding == self.encoding else LineMap(text, self.encoding)
            if doc.text is text:
                doc._lines = lines  # the next edit's positions are read on it
            snap = Snapshot(doc.uri, version, analysis, lines)
            old = None
            if doc.snapshot is None or version >= doc.snapshot.version:
                old, doc.snapshot = doc.snapshot, snap
            self._resolve(doc, snap)
            if self.prepare is not None and version == doc.version and self.on_analysed is not None:
                try:
                    await loop.run_in_executor(self.executor, self.read, snap, self.prepare, snap)
                except ContentModified:
                    pass  # an edit updated it meanwhile; that edit publishes
                except Exception as exc:  # a bug: publishing builds it again (and logs it)
                    if self.on_error is not None:
                        self.on_error(doc, exc)
                if doc.closed:
                    return
            if version == doc.version and self.on_analysed is not None and not snap.superseded:
                self.on_analysed(doc, snap)
            # After publishing: caching, and retiring what was replaced (memory.py).
            self.reclaimer.retire(old.analysis if old is not None else None,
                                  *self._remember(text, analysis))
            del old

    def _fail_waiters(self, doc: Document, version: int, exc: BaseException) -> None:
        keep = []
        for want, fut in doc.waiters:
            if want <= version:
                if not fut.done():
                    fut.set_exception(AnalysisFailed(f"analysis of {doc.uri} failed: {exc!r}"))
            else:
                keep.append((want, fut))
        doc.waiters = keep

    def _remember(self, text: str, analysis: Any) -> list:
        """Caches an analysis by text; returns what was evicted."""
        if len(text) > self._cache_chars or text in self._recent:
            return []
        self._recent[text] = analysis
        total = sum(len(t) for t in self._recent)
        evicted = []
        while len(self._recent) > self._cache_size or total > self._cache_chars:
            old, a = self._recent.popitem(last=False)
            evicted.append(a)
            total -= len(old)
        return evicted

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neural-analysis")
        return self._executor

    @property
    def reclaimer(self) -> Reclaimer:
        if self._reclaimer is None:
            self._reclaimer = Reclaimer(self.executor, self.analysing)
        return self._reclaimer

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
