"""LSP methods -> the module that answers them, over one analysed snapshot.

Each handler: find the document's snapshot for the version the request refers to, convert
the position, call a pure function, convert the answer. `FEATURES` is the whole table;
`register` wraps every entry so an exception is logged and answered with an empty result.
"""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types

from neural_lsp import completion as completion_mod
from neural_lsp import diagnostics as diag
from neural_lsp import hover as hover_mod
from neural_lsp import inlay, shape_query, signature
from neural_lsp.server import NeuralLanguageServer, safe

NETWORK_SHAPE = "neural/networkShape"


async def _snap(ls: NeuralLanguageServer, uri: str):
    return await ls.documents.snapshot(uri)


# ---------------------------------------------------------------------- lifecycle
def initialize(ls: NeuralLanguageServer, params: types.InitializeParams) -> None:
    ls.setup(params)
    ls.config_ready = asyncio.get_running_loop().create_future()
    if not ls.capability("workspace.configuration"):
        ls.config_ready.set_result(None)


async def initialized(ls: NeuralLanguageServer, params: types.InitializedParams) -> None:
    if ls.capability("workspace.configuration"):
        await ls.load_settings()


async def did_change_configuration(ls: NeuralLanguageServer,
                                   params: types.DidChangeConfigurationParams) -> None:
    await ls.load_settings(params.settings)


def shutdown(ls: NeuralLanguageServer, params: Any) -> None:
    ls.stop_jobs()
    ls.documents.shutdown()


# ---------------------------------------------------------------------- features
async def hover(ls: NeuralLanguageServer, params: types.HoverParams) -> types.Hover | None:
    snap = await _snap(ls, params.text_document.uri)
    formats = ls.capability("text_document.hover.content_format") or ()
    markdown = not formats or types.MarkupKind.Markdown in formats
    return hover_mod.hover(snap, snap.lines.offset(params.position), markdown)


async def inlay_hint(ls: NeuralLanguageServer, params: types.InlayHintParams) -> list[types.InlayHint]:
    if not ls.settings.inlay_shapes:
        return []
    snap = await _snap(ls, params.text_document.uri)
    r = params.range
    return inlay.shape_hints(snap, snap.lines.offset(r.start), snap.lines.offset(r.end))


async def completion(ls: NeuralLanguageServer, params: types.CompletionParams) -> types.CompletionList:
    snap = await _snap(ls, params.text_document.uri)
    item_caps = "text_document.completion.completion_item"
    snippets = bool(ls.capability(f"{item_caps}.snippet_support"))
    markdown = types.MarkupKind.Markdown in (ls.capability(f"{item_caps}.documentation_format") or ())
    items = completion_mod.complete(snap, snap.lines.offset(params.position), snippets, markdown)
    return types.CompletionList(is_incomplete=False, items=items)


async def signature_help(ls: NeuralLanguageServer, params: types.SignatureHelpParams):
    snap = await _snap(ls, params.text_document.uri)
    return signature.signature_help(snap, snap.lines.offset(params.position))


async def pull_diagnostics(ls: NeuralLanguageServer, params: types.DocumentDiagnosticParams):
    snap = await _snap(ls, params.text_document.uri)
    result_id = f"{snap.version}:{ls.settings.diagnostics_level}"
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(
        items=diag.for_snapshot(snap, ls.settings.diagnostics_level), result_id=result_id)


async def network_shape(ls: NeuralLanguageServer, params: Any) -> dict | None:
    uri, pos = _shape_params(params)
    snap = await _snap(ls, uri)
    return shape_query.network_shape(snap, snap.lines.offset(pos))


def _shape_params(params: Any) -> tuple[str, types.Position]:
    """`{uri, position}` arrives untyped (a custom request): read it defensively."""
    get = params.get if isinstance(params, dict) else lambda k, d=None: getattr(params, k, d)
    uri = get("uri")
    td = get("textDocument") or get("text_document")
    if uri is None and td is not None:
        uri = td.get("uri") if isinstance(td, dict) else getattr(td, "uri", None)
    pos = get("position")
    line = pos.get("line") if isinstance(pos, dict) else getattr(pos, "line", None)
    char = pos.get("character") if isinstance(pos, dict) else getattr(pos, "character", None)
    if not isinstance(uri, str) or not isinstance(line, int) or not isinstance(char, int):
        raise ValueError(f"{NETWORK_SHAPE} takes {{uri, position: {{line, character}}}}, got {params!r}")
    return uri, types.Position(line=line, character=char)


def _none() -> None:
    return None


def _list() -> list:
    return []


def _empty_completions() -> types.CompletionList:
    return types.CompletionList(is_incomplete=False, items=[])


def _empty_report() -> types.RelatedFullDocumentDiagnosticReport:
    return types.RelatedFullDocumentDiagnosticReport(items=[])


# method, handler, empty answer, options
FEATURES: list[tuple[str, Any, Any, Any]] = [
    (types.INITIALIZE, initialize, _none, None),
    (types.INITIALIZED, initialized, _none, None),
    (types.WORKSPACE_DID_CHANGE_CONFIGURATION, did_change_configuration, _none, None),
    (types.SHUTDOWN, shutdown, _none, None),
    (types.TEXT_DOCUMENT_HOVER, hover, _none, None),
    (types.TEXT_DOCUMENT_INLAY_HINT, inlay_hint, _list, types.InlayHintOptions()),
    (types.TEXT_DOCUMENT_COMPLETION, completion, _empty_completions,
     types.CompletionOptions(trigger_characters=["(", ",", "=", '"', "{", "["])),
    (types.TEXT_DOCUMENT_SIGNATURE_HELP, signature_help, _none,
     types.SignatureHelpOptions(trigger_characters=["(", ","], retrigger_characters=["=", ","])),
    (types.TEXT_DOCUMENT_DIAGNOSTIC, pull_diagnostics, _empty_report,
     types.DiagnosticOptions(inter_file_dependencies=False, workspace_diagnostics=False,
                             identifier="neural")),
    (NETWORK_SHAPE, network_shape, _none, None),
]


def register(ls: NeuralLanguageServer) -> None:
    for method, fn, empty, options in FEATURES:
        ls.feature(method, options)(safe(ls, method, fn, empty))


def build_server() -> NeuralLanguageServer:
    ls = NeuralLanguageServer()
    register(ls)
    return ls
