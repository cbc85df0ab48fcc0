"""Work-done progress for one command: the client's token when it gave one, else one we
create; cancellation from the client (window/workDoneProgress/cancel) calls back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from lsprotocol import types


class WorkDone:
    def __init__(self, ls, token: types.ProgressToken | None) -> None:
        self.ls = ls
        self.token = token
        self.on_cancel: Callable[[], None] | None = None
        self.active = False

    async def begin(self, title: str, message: str | None = None, cancellable: bool = False) -> None:
        progress = self.ls.work_done_progress
        if self.token is None and self.ls.capability("window.work_done_progress"):
            token = f"neural-{uuid.uuid4()}"
            try:
                await asyncio.wait_for(progress.create_async(token), 10)
                self.token = token
            except Exception as exc:  # no progress then; the command still runs
                self.ls.log(f"window/workDoneProgress/create failed: {exc!r}")
        if self.token is None:
            return
        progress.begin(self.token, types.WorkDoneProgressBegin(
            title=title, message=message, cancellable=cancellable, percentage=0))
        self.active = True
        fut = progress.tokens.get(self.token)
        if fut is not None:
            fut.add_done_callback(self._done)

    def _done(self, fut) -> None:
        if fut.cancelled() and self.on_cancel is not None:
            self.on_cancel()

    def report(self, message: str, percentage: int | None = None) -> None:
        if self.active:
            self.ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(
                message=message, percentage=None if percentage is None else max(0, min(100, percentage))))

    def end(self, message: str | None = None) -> None:
        if self.active:
            self.active = False
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)
            self.on_cancel = None  # a late cancel has nothing left to stop
