"""Every client gets the same diagnostics: odd settings (empty, partial, null, wrongly typed),
absurdly nested programs and edits whose range lies outside the document leave the server
publishing exactly what a fresh server publishes for the same text."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from tests.lsp.conftest import (
    diagnostics,
    open_doc,
    server_fixture,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The reference: a client answering the whole section with the defaults.
fresh = server_fixture(name="fresh")
empty = server_fixture(name="empty", settings={})
partial = server_fixture(name="partial", settings={"inlayHints": {"shapes": False}})
null = server_fixture(name="null", settings=None)
wrong = server_fixture(name="wrong", settings={"inlayHints": {"shapes": "yes"},
                                               "diagnostics": {"level": 3}})
wrong_section = server_fixture(name="wrong_section", settings=["not", "an", "object"])

PROGRAM = """network Odd {
  input: (28, 28, 1)
  layers:
    Conv2D(filters=16, kernel_size=(3, 3), activation="relu")
    Flatten()
    Dense(64, activation="relu")
    Dropout(1.5)
    Dense(256.0)
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: SGD(learning_rate=HPO(range(0.0001, 0.1)))
}
"""


def plain(diags: list[types.Diagnostic]) -> list[tuple]:
    return sorted((d.range.start.line, d.range.start.character, d.range.end.line,
                   d.range.end.character, d.code, int(d.severity or 0), d.message) for d in diags)


async def reference(fresh, text: str) -> list[tuple]:
    """What a fresh server with the default settings publishes for text."""
    return plain(await diagnostics(fresh, open_doc(fresh, text), 1))


async def _same_as_fresh(client, fresh) -> None:
    """`Settings.from_client` read a slots dataclass's class attribute as the default: `{}`
    or a partial section made every publish raise, so such clients got no diagnostics."""
    uri = open_doc(client, PROGRAM)
    got = plain(await diagnostics(client, uri, 1))
    assert {d[4] for d in got} >= {"N302", "N304", "N409"}, got
    assert got == await reference(fresh, PROGRAM)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(0, 0), types.Position(12, 0)),
        context=types.CodeActionContext(diagnostics=[])))
    assert actions, "quick fixes are offered too"


async def test_empty_settings(empty, fresh):
    await _same_as_fresh(empty, fresh)


async def test_partial_settings(partial, fresh):
    await _same_as_fresh(partial, fresh)


async def test_null_settings(null, fresh):
    await _same_as_fresh(null, fresh)


async def test_wrong_typed_settings(wrong, fresh):
    await _same_as_fresh(wrong, fresh)


async def test_settings_not_an_object(wrong_section, fresh):
    await _same_as_fresh(wrong_section, fresh)


async def test_wrong_typed_settings_are_logged(wrong):
    """A value of the wrong type keeps its default and says so in the client's log."""
    uri = open_doc(wrong, PROGRAM)
    await diagnostics(wrong, uri, 1)
    logged = "\n".join(m.message for m in wrong.log_messages)
    assert "neural.inlayHints.shapes must be true or false; got 'yes'" in logged
    assert "neural.diagnostics.level must be one of" in logged
    assert "TypeError" not in logged


async def test_partial_settings_keep_the_other_defaults(partial):
    """`{"inlayHints": {"shapes": false}}` turns the shape hints off and nothing else."""
    uri = open_doc(partial, PROGRAM)
    await diagnostics(partial, uri, 1)
    hints = await partial.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(0, 0), types.Position(12, 0))))
    assert not hints


async def _settle(client, uri: str, version: int) -> list[tuple]:
    got = await diagnostics(client, uri, version)
    await asyncio.sleep(0)
    return plain(got)


DEEP = ("network Deep {\n  input: (8,)\n  layers:\n    Dense(" + "HPO(choice(" * 300 + "8"
        + "))" * 300 + ")\n    Dense(" + "(" * 600 + "\n    Dropout(1.5)\n"
        "    Output(2, activation=\"softmax\")\n  loss: \"sparse_categorical_crossentropy\"\n}\n")


async def test_600_deep_program(fresh):
    """Nesting once raised RecursionError in the analysis: nothing was published for that
    version, so stale diagnostics stayed and hover and symbols went empty."""
    uri = open_doc(fresh, "network Deep {\n  input: (8,)\n  layers:\n    Dense(4)\n}\n")
    await diagnostics(fresh, uri, 1)
    fresh.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=DEEP)]))
    got = plain(await diagnostics(fresh, uri, 2))
    assert [d[4] for d in got].count("N106") == 2
    assert "N302" in {d[4] for d in got}  # Dropout(1.5), after the deep lines
    assert got == await reference(fresh, DEEP)
    td = types.TextDocumentIdentifier(uri=uri)
    symbols = await fresh.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=td))
    assert symbols and symbols[0].name == "Deep"
    hover = await fresh.text_document_hover_async(types.HoverParams(
        text_document=td, position=types.Position(DEEP.count("\n", 0, DEEP.index("Dropout")), 6)))
    assert hover is not None and "Dropout" in str(hover.contents)


def _change(client, uri: str, version: int, start: tuple[int, int], end: tuple[int, int],
            text: str) -> None:
    """A didChange whose range is sent as raw JSON numbers (lsprotocol would refuse to build
    a negative Position on the client side too)."""
    client.protocol._send_data({"jsonrpc": "2.0", "method": types.TEXT_DOCUMENT_DID_CHANGE, "params": {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [{"range": {"start": {"line": start[0], "character": start[1]},
                                      "end": {"line": end[0], "character": end[1]}},
                            "text": text}]}})


@pytest.mark.parametrize("start,end,expect", [
    ((-1, -4), (0, 0), "# head\n" + PROGRAM),  # before the start: at the start
    ((0, -3), (0, 0), "# head\n" + PROGRAM),
    ((400, 0), (500, 9), PROGRAM + "# head\n"),  # past the end: at the end
    ((-2, 0), (10**12, 0), "# head\n"),  # everything, whatever the client's numbers
    ((3, 900), (3, 900), PROGRAM.replace('"relu")\n', '"relu")# head\n\n', 1)),
])
async def test_out_of_range_edits_are_clamped(fresh, start, end, expect):
    """Positions outside the document are clamped as VS Code clamps them, so the client's
    and the server's texts never diverge (a negative one was rejected, the edit lost)."""
    uri = open_doc(fresh, PROGRAM)
    await diagnostics(fresh, uri, 1)
    _change(fresh, uri, 2, start, end, "# head\n")
    got = plain(await diagnostics(fresh, uri, 2))
    assert got == await reference(fresh, expect)
    # and the next, ordinary edit lands where the client thinks it does
    lines = expect.split("\n")
    fresh.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(len(lines) - 1, 0), types.Position(len(lines) - 1, 0)),
            text="# tail\n")]))
    assert plain(await diagnostics(fresh, uri, 3)) == await reference(fresh, expect + "# tail\n")


async def test_long_emoji_line(fresh):
    """A run of invalid characters is one N101 (46,000 emoji were 46,000 diagnostics), and
    columns after it count UTF-16 units."""
    from tests.lsp.conftest import position

    line = "    " + "😀" * 5_000 + " Dropout(1.5)"
    text = PROGRAM.replace("    Flatten()\n", line + "\n    Flatten()\n")
    uri = open_doc(fresh, text)
    got = await diagnostics(fresh, uri, 1)
    n101 = [d for d in got if d.code == "N101"]
    assert len(n101) == 1
    assert n101[0].range.end == position(text, text.index(" Dropout(1.5)"))
    rates = [d.range.start for d in got if d.code == "N302"]
    assert position(text, text.index("1.5")) in rates
