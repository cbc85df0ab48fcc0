"""LSP methods -> the module that answers them, over one analysed snapshot.

Each handler: find the document's snapshot for the version the request refers to, convert
the position to an offset, call a feature (which answers with offsets), convert the answer
with one call of core.convert. `FEATURES` is the whole table;
`register` wraps every entry so an exception is logged and answered with an empty result.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from neural_lsp.core import convert
from neural_lsp.core.advertised import APPLY_BEST, COMMAND_HANDLERS, LEGEND, SOURCE_KINDS
from neural_lsp.core.documents import ContentModified, DocumentStore, Snapshot
from neural_lsp.core.server import Hooks, NeuralLanguageServer, safe, safe_command

NETWORK_SHAPE = "neural/networkShape"


class _OnFirstUse:
    """A feature module imported when a request first needs it: the `initialize` answer
    does not wait for the feature modules and the compiler under them (`initialized`
    starts loading them in the worker thread)."""

    __slots__ = ("name", "module")

    def __init__(self, name: str) -> None:
        self.name = name
        self.module = None

    def __getattr__(self, attr: str) -> Any:
        m = self.module
        if m is None:
            m = self.module = importlib.import_module(self.name)
        return getattr(m, attr)


actions = _OnFirstUse("neural_lsp.features.actions")
completion_mod = _OnFirstUse("neural_lsp.features.completion")
diag = _OnFirstUse("neural_lsp.features.diagnostics")
formatting = _OnFirstUse("neural_lsp.features.formatting")
hover_mod = _OnFirstUse("neural_lsp.features.hover")
inlay = _OnFirstUse("neural_lsp.features.inlay")
insights = _OnFirstUse("neural_lsp.features.insights")
locate = _OnFirstUse("neural_lsp.query.locate")
macros = _OnFirstUse("neural_lsp.features.macros")
results_hover = _OnFirstUse("neural_lsp.features.results_hover")
results_inlay = _OnFirstUse("neural_lsp.features.results_inlay")
results_lens = _OnFirstUse("neural_lsp.features.results_lens")
semantic = _OnFirstUse("neural_lsp.features.semantic")
shape_query = _OnFirstUse("neural_lsp.features.shape_query")
signature = _OnFirstUse("neural_lsp.features.signature")
symbols = _OnFirstUse("neural_lsp.features.symbols")
_DEFERRED = (actions, completion_mod, diag, formatting, hover_mod, inlay, insights, locate,
             macros, results_hover, results_inlay, results_lens, semantic, shape_query,
             signature, symbols)


def _load_features() -> None:
    importlib.import_module("compiler.analysis")
    for m in _DEFERRED:
        importlib.import_module(m.name)

CONTENT_MODIFIED = -32801  # LSPErrorCodes.ContentModified
REQUEST_FAILED = -32803  # LSPErrorCodes.RequestFailed: the client shows the message
BIG = 100_000  # characters (about 1,700 layers): whole-document answers leave the loop


async def _snap(ls: NeuralLanguageServer, uri: str, settled: bool = True):
    return await ls.documents.snapshot(uri, settled=settled)


async def _view_and_snap(ls: NeuralLanguageServer, uri: str, settled: bool = True):
    """(the results of the document's store, its snapshot), the store's first: awaiting it
    (only before the store was first read) after taking the snapshot would let an edit
    update that snapshot's analysis in place while the request is half answered."""
    view = await ls.results.view(uri)
    return view, await _snap(ls, uri, settled)


async def _whole(ls: NeuralLanguageServer, snap: Snapshot, fn, *args):
    """A whole-document answer (linear in its size): for a big document it is computed in
    the worker thread, so hovers and completions keep being answered meanwhile."""
    if len(snap.text) < BIG:
        return fn(snap, *args)
    return await _in_worker(ls, snap, fn, snap, *args)


async def _in_worker(ls: NeuralLanguageServer, snap: Snapshot, fn, *args):
    """fn(*args) in the worker thread; if an edit updated the snapshot's analysis meanwhile,
    the request is answered with LSP's ContentModified (the client asks again)."""
    try:
        return await asyncio.get_running_loop().run_in_executor(
            ls.documents.executor, ls.documents.read, snap, fn, *args)
    except ContentModified as exc:
        raise JsonRpcException(str(exc), code=CONTENT_MODIFIED) from None


# ---------------------------------------------------------------------- lifecycle
def initialize(ls: NeuralLanguageServer, params: types.InitializeParams) -> None:
    ls.setup(params)
    ls.config_ready = asyncio.get_running_loop().create_future()
    if not ls.capability("workspace.configuration"):
        ls.config_ready.set_result(None)


async def initialized(ls: NeuralLanguageServer, params: types.InitializedParams) -> None:
    ls.documents.executor.submit(_load_features)  # before the first analysis, in its thread
    ls.results.start()  # follows the experiment stores of the documents opened from now on
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
    formats = ls.capability("text_document.hover.content_format") or ()
    markdown = not formats or types.MarkupKind.Markdown in formats
    view, snap = await _view_and_snap(ls, params.text_document.uri, settled=False)
    offset = snap.lines.offset(params.position)
    got = hover_at(ls.documents, snap, offset)
    if got is None:
        return None
    text, start, end = got
    hpo = (locate.hpo_at(snap, offset) or locate.hpo_at(snap, offset - 1)) if markdown else None
    if hpo is not None:
        if view is not None:  # the study's match reads the whole space: every move applied
            ls.documents.settled(snap)
        extra = results_hover.section(snap, view, *hpo)
        if extra:
            text += "\n\n---\n\n" + extra
    return convert.hover(snap, text, start, end, markdown)


def hover_at(store: DocumentStore, snap: Snapshot, offset: int) -> tuple[str, int, int] | None:
    """The hover on a snapshot whose offset moves may be pending: inside a network it reads
    statements through `locate` only; elsewhere (a macro, whose layers are looked for in
    every network) the moves are applied first."""
    if not (locate.in_network(snap, offset) and locate.in_network(snap, offset - 1)):
        snap = store.settled(snap)
    return hover_mod.hover(snap, offset)


async def inlay_hint(ls: NeuralLanguageServer, params: types.InlayHintParams) -> list[types.InlayHint]:
    if not ls.settings.inlay_shapes and not ls.settings.inlay_best_values:
        return []
    view, snap = await _view_and_snap(ls, params.text_document.uri)
    r = params.range
    start, end = snap.lines.offset(r.start), snap.lines.offset(r.end)
    out = inlay.shape_hints(snap, start, end) if ls.settings.inlay_shapes else []
    if ls.settings.inlay_best_values:
        best = results_inlay.best_value_hints(snap, view, start, end)
        if best:
            out = sorted(out + best, key=lambda h: h[0])
    return convert.inlay_hints(snap, out)


async def completion(ls: NeuralLanguageServer, params: types.CompletionParams) -> types.CompletionList:
    snap = await _snap(ls, params.text_document.uri)
    item_caps = "text_document.completion.completion_item"
    snippets = bool(ls.capability(f"{item_caps}.snippet_support"))
    markdown = types.MarkupKind.Markdown in (ls.capability(f"{item_caps}.documentation_format") or ())
    start, end, items = completion_mod.complete(snap, snap.lines.offset(params.position), snippets)
    return types.CompletionList(is_incomplete=False,
                                items=convert.completions(snap, start, end, items, markdown))


async def signature_help(ls: NeuralLanguageServer, params: types.SignatureHelpParams):
    snap = await _snap(ls, params.text_document.uri)
    got = signature.signature_help(snap, snap.lines.offset(params.position))
    return None if got is None else convert.signature_help(snap, got)


async def document_symbol(ls: NeuralLanguageServer, params: types.DocumentSymbolParams):
    snap = await _snap(ls, params.text_document.uri)
    if ls.capability("text_document.document_symbol.hierarchical_document_symbol_support"):
        return await _whole(ls, snap, _symbol_tree)
    return await _whole(ls, snap, _symbol_list)


def _symbol_tree(snap: Snapshot) -> list[types.DocumentSymbol]:
    return convert.document_symbols(snap, symbols.document_symbols(snap))


def _symbol_list(snap: Snapshot) -> list[types.SymbolInformation]:
    """For clients without hierarchical symbols."""
    return convert.symbol_information(snap, symbols.document_symbols(snap))


async def folding_range(ls: NeuralLanguageServer, params: types.FoldingRangeParams):
    return await _whole(ls, await _snap(ls, params.text_document.uri), symbols.folding_ranges)


async def semantic_tokens(ls: NeuralLanguageServer, params: types.SemanticTokensParams):
    snap = await _snap(ls, params.text_document.uri)
    return types.SemanticTokens(data=await _whole(ls, snap, semantic.encode))


async def semantic_tokens_range(ls: NeuralLanguageServer, params: types.SemanticTokensRangeParams):
    snap = await _snap(ls, params.text_document.uri)
    r = params.range
    return types.SemanticTokens(data=semantic.encode(snap, snap.lines.offset(r.start),
                                                     snap.lines.offset(r.end)))


async def definition(ls: NeuralLanguageServer, params: types.DefinitionParams):
    snap = await _snap(ls, params.text_document.uri)
    got = macros.definition(snap, snap.lines.offset(params.position))
    return None if got is None else convert.location(snap, *got)


async def references(ls: NeuralLanguageServer, params: types.ReferenceParams):
    snap = await _snap(ls, params.text_document.uri)
    return convert.locations(snap, macros.references(snap, snap.lines.offset(params.position),
                                                     params.context.include_declaration))


async def prepare_rename(ls: NeuralLanguageServer, params: types.PrepareRenameParams):
    snap = await _snap(ls, params.text_document.uri)
    got = macros.prepare(snap, snap.lines.offset(params.position))
    return None if got is None else convert.rename_placeholder(snap, *got)


async def rename(ls: NeuralLanguageServer, params: types.RenameParams):
    snap = await _snap(ls, params.text_document.uri)
    try:
        edits = macros.rename_edits(snap, snap.lines.offset(params.position), params.new_name)
    except macros.RenameError as exc:
        raise JsonRpcException(str(exc), code=REQUEST_FAILED) from None
    return None if edits is None else workspace_edit(ls, snap, convert.text_edits(snap, edits))


async def format_document(ls: NeuralLanguageServer, params: types.DocumentFormattingParams):
    snap = await _snap(ls, params.text_document.uri)
    try:
        new = await _in_worker(ls, snap, formatting.format_checked, snap.text, snap.analysis)
    except formatting.NotFormatted as why:
        ls.log(f"not formatted {snap.uri}: {why}", types.MessageType.Info)
        return []
    return convert.text_edits(snap, formatting.line_edits(snap.text, new))


async def code_action(ls: NeuralLanguageServer, params: types.CodeActionParams):
    view, snap = await _view_and_snap(ls, params.text_document.uri)
    r = params.range
    only = [str(k) for k in params.context.only] if params.context.only else None
    start, end = snap.lines.offset(r.start), snap.lines.offset(r.end)
    found = actions.code_actions(snap, start, end, ls.settings.diagnostics_level, only,
                                 extra=insights.diagnostics(snap, view)) + \
        insights.source_actions(snap, view, start, only)
    return convert.code_actions(snap, found, lambda edits: workspace_edit(ls, snap, edits))


async def code_lens(ls: NeuralLanguageServer, params: types.CodeLensParams):
    view, snap = await _view_and_snap(ls, params.text_document.uri)
    return convert.code_lenses(snap, results_lens.lenses(snap, view) + actions.code_lenses(snap))


def workspace_edit(ls: NeuralLanguageServer, snap: Snapshot,
                   edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    """Versioned document changes when the client takes them: a stale edit is refused."""
    if ls.capability("workspace.workspace_edit.document_changes"):
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(
                uri=snap.uri, version=snap.version),
            edits=edits)])
    return types.WorkspaceEdit(changes={snap.uri: edits})


async def pull_diagnostics(ls: NeuralLanguageServer, params: types.DocumentDiagnosticParams):
    view, snap = await _view_and_snap(ls, params.text_document.uri)
    result_id = f"{snap.version}:{ls.settings.diagnostics_level}:{view.generation if view else 0}"
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=ls.diagnostics(snap), result_id=result_id)


def document_diagnostics(ls: NeuralLanguageServer, snap: Snapshot) -> list[types.Diagnostic]:
    """The compiler's diagnostics, then the insights from the document's store."""
    level = ls.settings.diagnostics_level
    items = compiler_diagnostics(snap, level)
    view = ls.results.latest(snap.uri)
    if view is not None and (view.studies or view.experiments):
        ls.documents.settled(snap)  # matching them reads the nodes of the whole space
    found = insights.diagnostics(snap, view)
    return items + [convert.diagnostic(snap, d) for d in found if int(d.severity) <= level]


def compiler_diagnostics(snap: Snapshot, level: int) -> list[types.Diagnostic]:
    """Those the client is sent (features.diagnostics.sent), converted once per (version,
    level): in the worker thread after the analysis when they are pushed."""
    key = ("diagnostics", level)
    got = snap.cache.get(key)
    if got is None:
        got = snap.cache[key] = [convert.diagnostic(snap, d) for d in diag.sent(snap, level)]
    return got


def _prepare_diagnostics(snap: Snapshot, level: int) -> None:
    compiler_diagnostics(snap, level)


def _results(ls: NeuralLanguageServer) -> Any:
    """The experiment stores' reader, imported when first needed (after `initialize`)."""
    from neural_lsp.results.experiments import Results

    return Results(ls)


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


def _no_tokens() -> types.SemanticTokens:
    return types.SemanticTokens(data=[])


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
    (types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, document_symbol, _list, None),
    (types.TEXT_DOCUMENT_FOLDING_RANGE, folding_range, _list, None),
    (types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, semantic_tokens, _no_tokens, LEGEND),
    (types.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE, semantic_tokens_range, _no_tokens, None),
    (types.TEXT_DOCUMENT_DEFINITION, definition, _none, None),
    (types.TEXT_DOCUMENT_REFERENCES, references, _list, None),
    (types.TEXT_DOCUMENT_PREPARE_RENAME, prepare_rename, _none, None),
    (types.TEXT_DOCUMENT_RENAME, rename, _none, None),
    (types.TEXT_DOCUMENT_FORMATTING, format_document, _list, None),
    (types.TEXT_DOCUMENT_CODE_ACTION, code_action, _list, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Source,
                           *SOURCE_KINDS.values(), APPLY_BEST])),
    (types.TEXT_DOCUMENT_CODE_LENS, code_lens, _list, types.CodeLensOptions(resolve_provider=False)),
    (types.TEXT_DOCUMENT_DIAGNOSTIC, pull_diagnostics, _empty_report,
     types.DiagnosticOptions(inter_file_dependencies=False, workspace_diagnostics=False,
                             identifier="neural")),
    (NETWORK_SHAPE, network_shape, _none, None),
]


def register(ls: NeuralLanguageServer) -> None:
    ls.hooks = Hooks(prepare_diagnostics=_prepare_diagnostics, diagnostics=document_diagnostics,
                     results=_results)
    for method, fn, empty, options in FEATURES:
        ls.feature(method, options)(safe(ls, method, fn, empty))
    for name, handler in COMMAND_HANDLERS.items():
        ls.command(name)(safe_command(ls, name, _command(handler)))


def _command(name: str):
    """A command of features.commands, imported when first run (not before `initialize`)."""
    async def run(ls: NeuralLanguageServer, params: types.ExecuteCommandParams) -> Any:
        from neural_lsp.features import commands

        return await getattr(commands, name)(ls, params)
    run.__name__ = name
    return run


def build_server() -> NeuralLanguageServer:
    ls = NeuralLanguageServer()
    register(ls)
    return ls
