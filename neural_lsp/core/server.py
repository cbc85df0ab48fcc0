"""The pygls server: documents, settings, publishing, logging and the handler wrapper.

Handlers (neural_lsp.handlers) turn requests into calls of the feature modules over one
analysed snapshot; this module owns everything stateful. It imports no feature and no reader
of results: what it needs of them (`Hooks`) is registered by the handlers at start-up. What it
replaces inside pygls is in core.pygls_overrides.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.capabilities import ServerCapabilitiesBuilder
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from neural_lsp import __version__
from neural_lsp.core.documents import Document, DocumentStore, Snapshot
from neural_lsp.core.pygls_overrides import NeuralProtocol, converter
from neural_lsp.core.settings import Settings

log = logging.getLogger("neural_lsp")

CONFIG_SECTION = "neural"


def _no_results(server: Any) -> Any:
    raise RuntimeError("no reader of results registered (neural_lsp.handlers.register)")


@dataclass
class Hooks:
    """What the server calls of the layers above it, set by `neural_lsp.handlers.register`:
    the core depends on no feature (and the compiler under them stays unimported until
    `initialize` is answered)."""

    # (snapshot, level): in the worker thread, after an analysis: convert its diagnostics
    # for publishing there rather than on the event loop
    prepare_diagnostics: Callable[[Snapshot, int], Any] = lambda snap, level: None
    # (server, snapshot) -> the document's diagnostics, pushed or pulled
    diagnostics: Callable[[Any, Snapshot], list[types.Diagnostic]] = lambda server, snap: []
    # server -> the experiment stores' reader (made when first needed)
    results: Callable[[Any], Any] = _no_results


class NeuralLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("neural-lsp", __version__, protocol_cls=NeuralProtocol,
                         converter_factory=converter)
        self.documents = DocumentStore(on_analysed=self._analysed, on_error=self._analysis_failed,
                                       prepare=self._prepare)
        self.settings = Settings()
        self.pull_diagnostics = False
        self.config_ready: asyncio.Future | None = None
        self.jobs: set = set()  # running jobs (jobs.Job), ended on shutdown
        self.hooks = Hooks()
        self._results = None  # hooks.results(self), made when first needed

    @property
    def results(self) -> Any:
        """The experiment stores the documents' results come from, made when first asked
        (after `initialize` is answered)."""
        if self._results is None:
            self._results = self.hooks.results(self)
        return self._results

    # ------------------------------------------------------------------ client
    def capability(self, path: str, default: Any = None) -> Any:
        """A client capability by dotted path, e.g. "window.work_done_progress"."""
        v: Any = self.client_capabilities
        for part in path.split("."):
            v = getattr(v, part, None)
            if v is None:
                return default
        return v

    def setup(self, params: types.InitializeParams) -> None:
        # The enum's value ("utf-16"): str() of it is "PositionEncodingKind.Utf16", which no
        # comparison with positions.UTF16/UTF8/UTF32 matches.
        chosen = ServerCapabilitiesBuilder.choose_position_encoding(params.capabilities)
        self.documents.encoding = getattr(chosen, "value", str(chosen))
        self.pull_diagnostics = self.capability("text_document.diagnostic") is not None
        opts = params.initialization_options
        if isinstance(opts, dict) and opts:
            self.apply_settings(opts.get(CONFIG_SECTION, opts), "initializationOptions")

    # ------------------------------------------------------------------ settings
    def apply_settings(self, value: Any, source: str) -> bool:
        new, problems = Settings.from_client(value)
        for p in problems:
            self.log(f"{source}: {p}", types.MessageType.Warning)
        changed = new != self.settings
        self.settings = new
        return changed

    async def load_settings(self, pushed: Any = None) -> None:
        """Reads the `neural` section (workspace/configuration when the client has it)."""
        try:
            if self.capability("workspace.configuration"):
                got = await asyncio.wait_for(self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=CONFIG_SECTION)])), 5)
                value = got[0] if got else None
            else:
                value = pushed.get(CONFIG_SECTION) if isinstance(pushed, dict) else None
            if value is not None and self.apply_settings(value, "settings"):
                self.settings_changed()
        except Exception as exc:  # a client that cannot answer keeps the defaults
            self.log(f"could not read the 'neural' settings: {exc!r}", types.MessageType.Warning)
        finally:
            if self.config_ready is not None and not self.config_ready.done():
                self.config_ready.set_result(None)

    def settings_changed(self) -> None:
        self.diagnostics_again()
        if self.capability("workspace.inlay_hint.refresh_support"):
            self.protocol.send_request(types.WORKSPACE_INLAY_HINT_REFRESH, None)

    # ------------------------------------------------------------------ diagnostics
    def _analysed(self, doc: Document, snap: Snapshot) -> None:
        if self.pull_diagnostics:
            return
        ready = self.config_ready
        if ready is not None and not ready.done():
            # The first results wait for the settings (briefly) so they are not re-sent.
            async def later() -> None:
                try:
                    await asyncio.wait_for(asyncio.shield(ready), 2)
                except TimeoutError:
                    pass
                if doc.snapshot is snap and doc.version == snap.version and not doc.closed:
                    self.publish(doc, snap)
            asyncio.get_running_loop().create_task(later())
            return
        self.publish(doc, snap)

    def _prepare(self, snap: Snapshot) -> None:
        """In the worker thread: the compiler's diagnostics converted for publishing."""
        if not self.pull_diagnostics:
            self.hooks.prepare_diagnostics(snap, self.settings.diagnostics_level)

    def diagnostics(self, snap: Snapshot) -> list[types.Diagnostic]:
        return self.hooks.diagnostics(self, snap)

    def diagnostics_again(self) -> None:
        """Every open document's diagnostics are sent again (pushed), or the client is asked
        to pull them again."""
        if self.pull_diagnostics:
            if self.capability("workspace.diagnostics.refresh_support"):
                self.protocol.send_request(types.WORKSPACE_DIAGNOSTIC_REFRESH, None)
            return
        for doc in list(self.documents.docs.values()):
            if doc.snapshot is not None and doc.snapshot.version == doc.version:
                self.publish(doc, doc.snapshot)

    def publish(self, doc: Document, snap: Snapshot) -> None:
        try:
            items = self.diagnostics(snap)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=doc.uri, diagnostics=items, version=snap.version))
        except Exception as exc:
            self.log_exception("publishDiagnostics", exc)

    def closed(self, uri: str) -> None:
        doc = self.documents.close(uri)
        if doc is not None and not self.pull_diagnostics:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def _analysis_failed(self, doc: Document, exc: BaseException) -> None:
        self.log_exception(f"analysis of {doc.uri} (version {doc.version})", exc)

    # ------------------------------------------------------------------ logging
    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        log.log({1: logging.ERROR, 2: logging.WARNING}.get(int(kind), logging.INFO), message)
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # no transport (yet): the Python log has it
            pass

    def log_exception(self, where: str, exc: BaseException) -> None:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=8))
        self.log(f"{where} failed: {exc!r}\n{tb}", types.MessageType.Error)

    def guard(self, where: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:
            self.log_exception(where, exc)
            return None

    def stop_jobs(self) -> None:
        for job in list(self.jobs):
            job.cancel()
        if self._results is not None:
            self._results.shutdown()


def safe_command(server: NeuralLanguageServer, name: str, fn: Callable) -> Callable:
    """Wraps a command: an unexpected exception is logged and answered with an error
    the client can show (a command's empty result would be misread as success)."""

    @functools.wraps(fn)
    async def wrapper(params):
        try:
            return await fn(server, params)
        except (JsonRpcException, asyncio.CancelledError):
            raise
        except Exception as exc:
            server.log_exception(name, exc)
            raise JsonRpcException(f"{name} failed: {exc!r}", code=-32803) from None  # RequestFailed

    wrapper.__signature__ = inspect.Signature(
        [inspect.Parameter("params", inspect.Parameter.POSITIONAL_OR_KEYWORD)])
    return wrapper


def safe(server: NeuralLanguageServer, name: str, fn: Callable, empty: Callable[[], Any]) -> Callable:
    """Wraps a feature: an exception is logged (window/logMessage) and the client gets
    the empty answer for that request, so one broken feature never takes others down.
    Errors meant for the client (JsonRpcException) pass through."""
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def wrapper(params):
            server.documents.touch()
            try:
                return await fn(server, params)
            except (JsonRpcException, asyncio.CancelledError):
                raise
            except Exception as exc:
                server.log_exception(name, exc)
                return empty()
    else:
        @functools.wraps(fn)
        def wrapper(params):
            server.documents.touch()
            try:
                return fn(server, params)
            except JsonRpcException:
                raise
            except Exception as exc:
                server.log_exception(name, exc)
                return empty()
    wrapper.__signature__ = inspect.Signature(  # pygls must not inject the server again
        [inspect.Parameter("params", inspect.Parameter.POSITIONAL_OR_KEYWORD)])
    return wrapper
