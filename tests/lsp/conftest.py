"""Real language server over stdio, driven by pytest-lsp's client.

Servers are module-scoped (starting one costs ~0.7 s) and every test module sets
`pytestmark = pytest.mark.asyncio(loop_scope="module")` to share the fixture's loop.
"""

from __future__ import annotations

import asyncio
import copy
import re
import sys
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.neural"))
SERVER = [sys.executable, "-m", "neural_lsp"]
DEFAULT_SETTINGS = {"inlayHints": {"shapes": True}, "diagnostics": {"level": "hint"}}


def vscode_like(**text_document: Any) -> types.ClientCapabilities:
    """What VS Code offers, minus pull diagnostics unless asked (push is the default)."""
    td = dict(
        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
            related_information=True, version_support=True),
        hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
        completion=types.CompletionClientCapabilities(
            completion_item=types.ClientCompletionItemOptions(
                snippet_support=True,
                documentation_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText])),
        signature_help=types.SignatureHelpClientCapabilities(),
        document_symbol=types.DocumentSymbolClientCapabilities(
            hierarchical_document_symbol_support=True),
        inlay_hint=types.InlayHintClientCapabilities(),
        code_action=types.CodeActionClientCapabilities(
            code_action_literal_support=types.ClientCodeActionLiteralOptions(
                code_action_kind=types.ClientCodeActionKindOptions(
                    value_set=["", "quickfix", "refactor", "source"]))),
        code_lens=types.CodeLensClientCapabilities(),
        rename=types.RenameClientCapabilities(prepare_support=True),
        folding_range=types.FoldingRangeClientCapabilities(line_folding_only=True),
        semantic_tokens=types.SemanticTokensClientCapabilities(
            requests=types.ClientSemanticTokensRequestOptions(full=True, range=True),
            token_types=[], token_modifiers=[], formats=[types.TokenFormat.Relative]),
    )
    td.update(text_document)
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            configuration=True,
            did_change_configuration=types.DidChangeConfigurationClientCapabilities(),
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
            inlay_hint=types.InlayHintWorkspaceClientCapabilities(refresh_support=True),
        ),
        window=types.WindowClientCapabilities(
            work_done_progress=True,
            show_document=types.ShowDocumentClientCapabilities(support=True),
        ),
        text_document=types.TextDocumentClientCapabilities(**td),
    )


def _publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)


def _inlay_refresh(client: LanguageClient, params: None) -> None:
    client.inlay_refreshes += 1


def _lens_refresh(client: LanguageClient, params: None) -> None:
    client.lens_refreshes += 1


def make_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics with its version."""
    client = LanguageClient(converter_factory=default_converter)
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES,
                                   types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _publish,
                                   types.WORKSPACE_INLAY_HINT_REFRESH: _inlay_refresh,
                                   types.WORKSPACE_CODE_LENS_REFRESH: _lens_refresh})
    client.published = []
    client.inlay_refreshes = 0
    client.lens_refreshes = 0
    return client


def server_fixture(capabilities: types.ClientCapabilities | None = None,
                   settings: Any = DEFAULT_SETTINGS, name: str = "client",
                   command: list[str] | None = None, init_options: Any = None):
    """A module-scoped client connected to a freshly started server; `settings` is what it
    answers for the `neural` section (any JSON value: `{}`, None and odd types too)."""

    @pytest_lsp.fixture(scope="module", name=name, config=ClientServerConfig(
        server_command=command or SERVER, client_factory=make_client))
    async def _fixture(lsp_client: LanguageClient):
        lsp_client.set_configuration(copy.deepcopy(settings), section="neural")
        lsp_client.init_result = await lsp_client.initialize_session(types.InitializeParams(
            capabilities=capabilities or vscode_like(),
            root_uri=ROOT.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=ROOT.as_uri(), name="main")],
            initialization_options=init_options,
        ))
        yield
        await lsp_client.shutdown_session()

    return _fixture


# ---------------------------------------------------------------------- documents
_counter = 0


def new_uri(stem: str = "doc", folder: Path | None = None) -> str:
    """A fresh document uri (the file need not exist unless a command reads it)."""
    global _counter
    _counter += 1
    folder = folder or Path("/tmp/neural-lsp-tests")
    return (folder / f"{stem}_{_counter}.neural").as_uri()


def open_doc(client: LanguageClient, text: str, uri: str | None = None, version: int = 1) -> str:
    uri = uri or new_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="neural", version=version,
                                             text=text)))
    return uri


def replace_all(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def diagnostics(client: LanguageClient, uri: str, version: int | None = None,
                      timeout: float = 15.0) -> list[types.Diagnostic]:
    """The diagnostics published for uri (and that version), waiting for them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        for p in reversed(client.published):
            if p.uri == uri and (version is None or p.version == version):
                return list(p.diagnostics)
        if loop.time() > deadline:
            seen = [(p.uri, p.version) for p in client.published if p.uri == uri]
            raise AssertionError(f"no diagnostics for {uri} v{version}; got {seen}")
        await asyncio.sleep(0.005)


# ---------------------------------------------------------------------- positions
_NL = re.compile(r"\r\n?|\n")


def position(text: str, offset: int, encoding: str = "utf-16") -> types.Position:
    """LSP position of a str offset, computed independently of the server."""
    starts = [0, *(m.end() for m in _NL.finditer(text))]
    line = max(i for i, s in enumerate(starts) if s <= offset)
    seg = text[starts[line]:offset]
    if encoding == "utf-16":
        col = len(seg.encode("utf-16-le", "surrogatepass")) // 2
    elif encoding == "utf-8":
        col = len(seg.encode("utf-8", "surrogatepass"))
    else:
        col = len(seg)
    return types.Position(line=line, character=col)


def pos(text: str, needle: str, delta: int = 0, nth: int = 0, encoding: str = "utf-16") -> types.Position:
    """Position of the nth occurrence of needle (+ delta characters)."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    return position(text, i + delta, encoding)


def offset_of(text: str, p: types.Position, encoding: str = "utf-16") -> int:
    starts = [0, *(m.end() for m in _NL.finditer(text))]
    if p.line >= len(starts):
        return len(text)
    start = starts[p.line]
    end = starts[p.line + 1] if p.line + 1 < len(starts) else len(text)
    line = text[start:end].rstrip("\r\n")
    units = 0
    for i, ch in enumerate(line):
        if units >= p.character:
            return start + i
        units += (2 if ord(ch) > 0xFFFF else 1) if encoding == "utf-16" else \
            (len(ch.encode("utf-8", "surrogatepass")) if encoding == "utf-8" else 1)
    return start + len(line)


def apply_edits(text: str, edits, encoding: str = "utf-16") -> str:
    """Apply LSP TextEdits (non-overlapping) to text."""
    spans = sorted(((offset_of(text, e.range.start, encoding), offset_of(text, e.range.end, encoding),
                     e.new_text) for e in edits), reverse=True)
    for s, e, new in spans:
        text = text[:s] + new + text[e:]
    return text


def text_of(text: str, rng: types.Range, encoding: str = "utf-16") -> str:
    return text[offset_of(text, rng.start, encoding):offset_of(text, rng.end, encoding)]


def hover_text(h: types.Hover | None) -> str:
    if h is None:
        return ""
    c = h.contents
    return c.value if isinstance(c, types.MarkupContent) else str(c)


def plain(obj: Any) -> Any:
    """A custom request's result as plain dicts and lists (the client builds namedtuples)."""
    if hasattr(obj, "_asdict"):
        return {k: plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


async def raw_request(client: LanguageClient, method: str, params: Any) -> Any:
    """A request whose result is read as plain JSON, not structured by lsprotocol.

    The client's converter reads a CodeAction that carries a command as a Command (the
    union `Command | CodeAction` is disambiguated wrongly, and the nested command is
    turned into a string); the server's JSON is right, so tests read it raw.
    """
    import uuid

    msg_id = str(uuid.uuid4())
    fut = client.protocol.send_request(method, params, msg_id=msg_id)
    client.protocol._result_types.pop(msg_id, None)
    return plain(await asyncio.wrap_future(fut))
