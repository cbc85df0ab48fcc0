"""Diagnostics: push on open and change, pull, codes/ranges/severities/related info,
position encodings, settings, and coalesced edits that never publish a stale result."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from compiler.analysis import analyze
from tests.lsp.conftest import (
    diagnostics,
    open_doc,
    pos,
    position,
    replace_all,
    server_fixture,
    text_of,
    vscode_like,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

client = server_fixture()
client32 = server_fixture(name="client32", capabilities=types.ClientCapabilities(
    general=types.GeneralClientCapabilities(position_encodings=["utf-32", "utf-16"]),
    text_document=vscode_like().text_document))
client8 = server_fixture(name="client8", capabilities=types.ClientCapabilities(
    general=types.GeneralClientCapabilities(position_encodings=["utf-8"]),
    text_document=vscode_like().text_document))
pushy = server_fixture(
    name="pushy", init_options={"neural": {"diagnostics": {"level": "error"}}},
    capabilities=types.ClientCapabilities(text_document=vscode_like().text_document))
pull = server_fixture(name="pull", capabilities=vscode_like(
    diagnostic=types.DiagnosticClientCapabilities(related_document_support=False)))

BAD = """# A small classifier with one mistake: Dropout's rate must be below 1.
network ErrorNet {
  input: (28, 28, 1)
  layers:
    Conv2D(filters=16, kernel_size=(3, 3), activation="relu")
    Flatten()
    Dense(64, activation="relu")
    Dropout(1.5)
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
}
"""

TWICE = """network A {
  input: (4,)
  layers:
    Dense(2)
}
network A {
  input: (4,)
  layers:
    Dense(2)
}
"""

# Non-ASCII before the faulty value on the same line, and line separators that LSP does
# not count as line breaks (U+2028, U+0085) in a comment above it.
UNICODE = """# ünïcödé 😀 comment with \u2028 and \x85 inside
network U {
  input: (28, 28, 1)
  layers:
    Conv2D(8, HPO(custom({"é😀": (3, 3)})), padding="sme")
    Flatten()
    Output(10, activation="softmax")
}
"""

WARN = """network W {
  input: (8, 8, 3)
  layers:
    Dense(4)
    Flatten()
    Output(10, activation="softmax")
  optimizer: Adam(learning_rate=HPO(range(0.0001, 0.1)))
}
"""


async def test_push_on_open_with_code_range_severity(client):
    uri = open_doc(client, BAD)
    got = await diagnostics(client, uri, 1)
    assert [d.code for d in got] == ["N302"]
    d = got[0]
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.source == "neural"
    assert text_of(BAD, d.range) == "1.5"
    assert d.range.start == pos(BAD, "1.5")


async def test_related_information_points_at_the_first_definition(client):
    uri = open_doc(client, TWICE)
    got = await diagnostics(client, uri, 1)
    dup = next(d for d in got if d.code == "N210")
    assert dup.range.start == pos(TWICE, "A", nth=1)
    (rel,) = dup.related_information
    assert rel.location.uri == uri
    assert rel.location.range.start == pos(TWICE, "A")
    assert "first" in rel.message


async def test_change_publishes_for_the_new_version(client):
    uri = open_doc(client, BAD)
    await diagnostics(client, uri, 1)
    fixed = BAD.replace("Dropout(1.5)", "Dropout(0.5)")
    replace_all(client, uri, fixed, 2)
    assert await diagnostics(client, uri, 2) == []
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=pos(fixed, "0.5"), end=pos(fixed, "0.5", 3)), text="2")]))
    got = await diagnostics(client, uri, 3)
    assert [d.code for d in got] == ["N302"]
    assert got[0].range.start == pos(fixed, "0.5")


async def test_warnings_have_warning_severity(client):
    uri = open_doc(client, WARN)
    got = {d.code: d for d in await diagnostics(client, uri, 1)}
    assert got["N504"].severity == types.DiagnosticSeverity.Warning
    assert got["N409"].severity == types.DiagnosticSeverity.Warning
    assert text_of(WARN, got["N409"].range) == "HPO(range(0.0001, 0.1))"


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
async def test_utf16_columns_after_non_ascii(client, eol):
    text = UNICODE.replace("\n", eol)
    uri = open_doc(client, text)
    (d,) = await diagnostics(client, uri, 1)
    assert d.code == "N303"
    assert d.range.start == pos(text, '"sme"'), "UTF-16 columns: 😀 counts 2"
    assert d.range.start.line == 4
    assert text_of(text, d.range) == '"sme"'


async def test_utf32_negotiated(client32):
    assert client32.init_result.capabilities.position_encoding == "utf-32"
    uri = open_doc(client32, UNICODE)
    (d,) = await diagnostics(client32, uri, 1)
    assert d.range.start == pos(UNICODE, '"sme"', encoding="utf-32")
    assert d.range.start != pos(UNICODE, '"sme"')


async def test_utf8_negotiated(client8):
    assert client8.init_result.capabilities.position_encoding == "utf-8"
    uri = open_doc(client8, UNICODE)
    (d,) = await diagnostics(client8, uri, 1)
    assert d.range.start == pos(UNICODE, '"sme"', encoding="utf-8")
    # an incremental edit given in UTF-8 columns lands where it should
    start = pos(UNICODE, "sme", encoding="utf-8")
    client8.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=start, end=types.Position(start.line, start.character + 3)),
            text="same")]))
    assert await diagnostics(client8, uri, 2) == []


async def test_pull_diagnostics_and_no_push(pull):
    uri = open_doc(pull, BAD)
    report = await pull.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert report.kind == "full"
    assert [d.code for d in report.items] == ["N302"]
    assert text_of(BAD, report.items[0].range) == "1.5"
    again = await pull.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id))
    assert again.kind == "unchanged"
    replace_all(pull, uri, BAD.replace("1.5", "0.5"), 2)
    fresh = await pull.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id))
    assert fresh.kind == "full" and list(fresh.items) == []
    assert not [p for p in pull.published if p.uri == uri], "a pull client gets no pushes"


async def test_rapid_edits_end_with_the_final_text(client):
    """50 edits without waiting: the last published version is the last one sent, its
    diagnostics are the compiler's for the final text, and versions never go back."""
    uri = open_doc(client, BAD)
    texts = []
    for v in range(2, 52):
        rate = f"{(v % 17) / 10:.1f}"  # some valid (< 1), some not
        text = BAD.replace("Dropout(1.5)", f"Dropout({rate})").replace("Dense(64", f"Dense({v}")
        texts.append(text)
        replace_all(client, uri, text, v)
    got = await diagnostics(client, uri, 51)
    want = analyze(texts[-1]).diagnostics
    assert [(d.code, d.range.start, d.range.end) for d in got] == \
        [(w.code, position(texts[-1], w.start), position(texts[-1], w.end)) for w in want]
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == sorted(versions), f"a stale result was published after a newer one: {versions}"


async def test_edits_during_a_long_analysis_are_coalesced(client):
    """While a 3,000-layer program is analysed (~0.1 s), 30 edits of its input shape arrive
    (an edit outside the layer statements: the whole text is analysed): only the newest
    text is analysed next, so far fewer than 30 results are published."""
    body = "\n".join(f"    Dense({16 + i % 7})" for i in range(3000))
    text = f"network Big {{\n  input: (32,)\n  layers:\n{body}\n    Dropout(0.5)\n}}\n"
    uri = open_doc(client, text)
    await diagnostics(client, uri, 1)
    col = len("  input: (")
    dim = "32"
    for v in range(2, 32):
        new = str(40 + v) if v % 3 else "0"  # every text is new; a zero dimension is an error
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=v),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(1, col), end=types.Position(1, col + len(dim))),
                text=new)]))
        dim = new
    assert await diagnostics(client, uri, 31, timeout=60) == []
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == sorted(versions)
    assert len(versions) <= 10, f"edits were coalesced, not analysed one by one: {versions}"


async def test_level_setting_hides_less_severe(client):
    uri = open_doc(client, WARN)
    assert {d.code for d in await diagnostics(client, uri, 1)} >= {"N504", "N409"}
    client.set_configuration({"inlayHints": {"shapes": True}, "diagnostics": {"level": "error"}},
                             section="neural")
    before = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    # the server re-reads the section and republishes the open documents
    for _ in range(400):
        if any(p.uri == uri for p in client.published[before:]):
            break
        await asyncio.sleep(0.01)
    assert list([p for p in client.published[before:] if p.uri == uri][-1].diagnostics) == []
    bad = open_doc(client, BAD)
    assert [d.code for d in await diagnostics(client, bad, 1)] == ["N302"]
    client.set_configuration({"inlayHints": {"shapes": True}, "diagnostics": {"level": "hint"}},
                             section="neural")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))


async def test_close_clears(client):
    uri = open_doc(client, BAD)
    await diagnostics(client, uri, 1)
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    for _ in range(200):
        if client.published[-1].uri == uri and not client.published[-1].diagnostics:
            break
        await asyncio.sleep(0.01)
    assert client.published[-1].uri == uri and list(client.published[-1].diagnostics) == []


async def test_settings_without_workspace_configuration(pushy):
    """A client that cannot answer workspace/configuration: initializationOptions, then the
    settings pushed with didChangeConfiguration."""
    uri = open_doc(pushy, WARN)
    assert await diagnostics(pushy, uri, 1) == [], "level error from initializationOptions"
    before = len(pushy.published)
    pushy.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"neural": {"diagnostics": {"level": "warning"}}}))
    for _ in range(300):
        if any(p.uri == uri for p in pushy.published[before:]):
            break
        await asyncio.sleep(0.01)
    got = [p for p in pushy.published[before:] if p.uri == uri][-1].diagnostics
    assert {d.code for d in got} >= {"N504", "N409"}
    pushy.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"python": {"anything": 1}}))  # another tool's section changes nothing
    pushy.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=WARN + "\n")]))
    assert {d.code for d in await diagnostics(pushy, uri, 2)} >= {"N504", "N409"}


async def test_at_most_a_thousand_diagnostics_are_sent_and_the_rest_summed_up(client, pull):
    """46,000 diagnostics took 12.5 s to publish (converted and serialised on the event
    loop). The first 1,000 are sent and one more says how many were left out; a
    whole-document code action only looks at those sent."""
    from neural_lsp.features.diagnostics import MAX_SHOWN

    line = "    Dense(4)  " + "$," * 3_000
    text = BAD.replace("    Flatten()\n", "    Flatten()\n" + line + "\n")
    want = analyze(text).diagnostics
    assert len(want) > MAX_SHOWN + 1000
    for c in (client, pull):
        uri = open_doc(c, text)
        if c is pull:
            report = await c.text_document_diagnostic_async(types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=uri)))
            got = list(report.items)
        else:
            got = await diagnostics(c, uri, 1)
        assert len(got) == MAX_SHOWN + 1
        shown, last = got[:-1], got[-1]
        assert [d.range.start for d in shown] == [position(text, d.start) for d in want[:MAX_SHOWN]]
        assert f"{len(want) - MAX_SHOWN:,} more diagnostics are not shown (N101" in last.message
        assert last.severity == types.DiagnosticSeverity.Error
        assert last.range.start == position(text, want[MAX_SHOWN].start)
        actions = await c.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(0, 0), types.Position(text.count("\n"), 0)),
            context=types.CodeActionContext(diagnostics=[])))
        assert actions is not None


async def test_the_diagnostics_sent_are_the_most_severe_then_the_first():
    from compiler.diagnostics import Severity, make
    from neural_lsp.features import diagnostics as diag

    sev = [Severity.HINT, Severity.WARNING, Severity.ERROR, Severity.INFORMATION] * 600
    items = [make("N101", "x", i, i + 1, severity=s) for i, s in enumerate(sev)]
    kept, left_out = diag._most_severe(items)
    assert len(kept) == diag.MAX_SHOWN and len(kept) + len(left_out) == len(items)
    errors = [d for d in items if d.severity == Severity.ERROR]
    warnings = [d for d in items if d.severity == Severity.WARNING]
    assert kept == sorted(errors + warnings[:diag.MAX_SHOWN - len(errors)], key=lambda d: d.start)
    assert sorted(d.start for d in kept + left_out) == list(range(len(items)))
