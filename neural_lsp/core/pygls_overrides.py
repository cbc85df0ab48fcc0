"""Where pygls' own behaviour is replaced, and why (one place for every override).

- Document sync (didOpen/didChange/didClose): pygls' handlers keep their own copy of every
  document in `ls.workspace`, with a line model that splits on more characters than LSP
  clients do and costs O(document) per access. `core.documents.DocumentStore` is the only
  copy here, so these handlers feed it instead.
- workspace/executeCommand: pygls passes a command only its arguments, unpacked and
  structured by cattrs; our commands need the whole params (the client's workDoneToken),
  and being async, a $/cancelRequest cancels them.
- The converter: pygls' cattrs converter fails a whole message on a position outside
  0..2**31-1; here such a position is clamped instead (see `converter`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol, default_converter
from pygls.protocol.language_server import lsp_method

if TYPE_CHECKING:
    from neural_lsp.core.server import NeuralLanguageServer

UINTEGER_MAX = 2**31 - 1


class NeuralProtocol(LanguageServerProtocol):
    """pygls' protocol with document sync and executeCommand routed to our server.

    pygls' own handlers would also keep a copy of every document with a different line
    model; `DocumentStore` is the only copy here.
    """

    _server: NeuralLanguageServer

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        td = params.text_document
        self._server.guard("didOpen", lambda: self._server.documents.open(
            td.uri, td.text, td.version, td.language_id))

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        td = params.text_document
        self._server.guard("didChange", lambda: self._server.documents.change(
            td.uri, td.version, list(params.content_changes)))

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        self._server.guard("didClose", lambda: self._server.closed(params.text_document.uri))

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    async def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams) -> Any:
        # The whole params object reaches the command (pygls would pass only the arguments):
        # commands need the client's workDoneToken. Being async, a $/cancelRequest cancels it.
        handler = self.fm.commands.get(params.command)
        if handler is None:
            raise JsonRpcInvalidParams(f"unknown command {params.command!r}")
        return await handler(params)


def _clamped(v: Any) -> int:
    return min(max(v, 0), UINTEGER_MAX) if isinstance(v, int) and not isinstance(v, bool) else 0


def converter() -> Any:
    """pygls' converter, except that a position outside 0..2**31-1 is clamped instead of
    failing the whole message: a didChange with a negative line was dropped, and the
    client's and the server's texts diverged. Offsets then clamp to the document as VS
    Code's validatePosition does (positions.LineMap.offset)."""
    conv = default_converter()
    conv.register_structure_hook(types.Position, lambda obj, _t: types.Position(
        line=_clamped(obj.get("line")), character=_clamped(obj.get("character"))))
    return conv
