"""Edits inside a layer statement are analysed incrementally (compiler.incremental): every
answer after them is the one a fresh analysis of the same text gives."""

from __future__ import annotations

import asyncio
import json
import random

import pytest
from lsprotocol import types

from compiler.analysis import analyze
from neural_lsp.core.documents import DocumentStore, Snapshot
from neural_lsp.core.positions import UTF16, LineMap
from tests.lsp.conftest import diagnostics, open_doc, position, server_fixture

pytestmark = pytest.mark.asyncio(loop_scope="module")

client = server_fixture()

BLOCK = ['Conv2D(filters=HPO(choice(8, 16)), kernel_size=(3, 3), padding="same", activation="relu")',
         "BatchNormalization()  # note",
         "Dropout(HPO(range(0.1, 0.3, step=0.1)))",
         'Conv2D(16, (3, 3), padding="same", activation="relu")']


def program(n: int) -> str:
    body = "\n".join(f"    {BLOCK[i % 4]}" for i in range(n))
    return ("network Inc {\n  input: (16, 16, 3)\n  layers:\n" + body +
            "\n    Flatten()\n    Output(10, \"softmax\")\n  loss: \"sparse_categorical_crossentropy\"\n"
            "  optimizer: Adam(learning_rate=HPO(log_range(1e-4, 1e-2)))\n}\n")


def edit(client, uri: str, version: int, text: str, start: int, end: int, new: str) -> str:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=position(text, start), end=position(text, end)), text=new)]))
    return text[:start] + new + text[end:]


def dump(x):
    """Answers as plain data (the client's objects compare by identity in places)."""
    from pygls.protocol import default_converter
    return default_converter().unstructure(x)


async def everything(client, uri: str, text: str) -> dict:
    td = types.TextDocumentIdentifier(uri=uri)
    lines = text.count("\n")
    # Hovers first: right after edits they are answered before the statements after the
    # edits have taken their offset moves (the other requests apply them all).
    hovers = []
    for line in range(3, lines, max(1, lines // 12)):
        for col in (5, 20, 40):
            hovers.append(await client.text_document_hover_async(types.HoverParams(
                text_document=td, position=types.Position(line, col))))
    out = {
        "symbols": await client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=td)),
        "tokens": await client.text_document_semantic_tokens_full_async(
            types.SemanticTokensParams(text_document=td)),
        "inlay": await client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=td, range=types.Range(types.Position(0, 0), types.Position(lines + 1, 0)))),
        "folding": await client.text_document_folding_range_async(
            types.FoldingRangeParams(text_document=td)),
        "lenses": await client.text_document_code_lens_async(types.CodeLensParams(text_document=td)),
    }
    out["hovers"] = hovers
    return json.loads(json.dumps(dump(out)).replace(uri, "URI"))


async def test_every_answer_after_incremental_edits_equals_a_fresh_analysis(client):
    rng = random.Random(5)
    text = program(120)
    uri = open_doc(client, text)
    await diagnostics(client, uri, 1)
    version = 1
    for _ in range(12):
        lines = text.split("\n")
        line = rng.randrange(4, 4 + 110)
        start = sum(len(x) + 1 for x in lines[:line])
        digits = [start + i for i, c in enumerate(lines[line]) if c.isdigit()]
        if not digits:
            continue
        at = rng.choice(digits)
        new = rng.choice(["0", "7", "12", "", "33", "1"])  # changes length, sometimes an error
        version += 1
        text = edit(client, uri, version, text, at, at + 1, new)
        got = await diagnostics(client, uri, version)
        want = analyze(text).diagnostics
        assert [(d.code, d.message, d.range.start, d.range.end) for d in got] == \
            [(w.code, w.message, position(text, w.start), position(text, w.end)) for w in want]
        fresh = open_doc(client, text)
        await diagnostics(client, fresh, 1)
        assert await everything(client, uri, text) == await everything(client, fresh, text)


async def test_store_updates_in_place_and_publishes_before_moving_offsets():
    """In process: an edit in a layer line is an update (no analysis in the worker), the
    diagnostics are published for the new version, and waiters get the new snapshot."""
    published = []
    store = DocumentStore(on_analysed=lambda doc, snap: published.append(
        (snap.version, [(d.code, d.start) for d in snap.analysis.diagnostics])))
    text = program(40)
    uri = "file:///inc.neural"
    store.open(uri, text, 1)
    first = await store.snapshot(uri)
    assert store.analyses_run == 1
    at = text.index("Dropout(HPO(range(0.1, 0.3")
    old = "Dropout(HPO(range(0.1, 0.3, step=0.1)))"
    new_text = text[:at] + "Dropout(1.5)" + text[at + len(old):]
    line, col = text.count("\n", 0, at), at - text.rfind("\n", 0, at) - 1
    store.change(uri, 2, [types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(line, col), types.Position(line, col + len(old))),
        text="Dropout(1.5)")])
    assert store.updates_run == 1
    snap = await store.snapshot(uri)
    assert snap.version == 2 and snap.analysis is first.analysis and first.superseded
    assert store.analyses_run == 1
    assert published[-1] == (2, [(d.code, d.start) for d in analyze(new_text).diagnostics])
    assert [d.code for d in snap.analysis.diagnostics] == ["N302"]
    # An edit outside the layer lines is a full analysis again.
    store.change(uri, 3, [types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(1, 10), types.Position(1, 12)), text="32")])
    snap = await store.snapshot(uri)
    assert snap.version == 3 and store.analyses_run == 2
    store.shutdown()
    await asyncio.sleep(0)


async def test_typing_anything_in_layer_lines_keeps_every_answer_exact(client):
    """Random insertions and deletions in layer lines (names, brackets, HPO, line breaks):
    diagnostics after each edit are the compiler's, and at the end every answer equals a
    fresh analysis of the final text."""
    rng = random.Random(11)
    snippets = ["1", "x", ", ", "(", ")", '"', "HPO(choice(3, 5))", "\n", " # c", "Dense",
                "units=", "* 2", "@ \"cpu\"", "}", "Flatten()", ""]
    text = program(60)
    uri = open_doc(client, text)
    await diagnostics(client, uri, 1)
    for version in range(2, 62):
        lines = text.split("\n")
        line = rng.randrange(3, len(lines) - 4)
        start = sum(len(x) + 1 for x in lines[:line])
        at = start + rng.randint(0, len(lines[line]))
        end = min(start + len(lines[line]), at + rng.choice([0, 0, 1, 3]))
        text = edit(client, uri, version, text, at, end, rng.choice(snippets))
        got = await diagnostics(client, uri, version)
        want = analyze(text).diagnostics
        assert [(d.code, d.range.start, d.range.end) for d in got] == \
            [(w.code, position(text, w.start), position(text, w.end)) for w in want]
    fresh = open_doc(client, text)
    await diagnostics(client, fresh, 1)
    assert await everything(client, uri, text) == await everything(client, fresh, text)


async def test_hovers_right_after_edits_equal_a_fresh_analysis():
    """In process, many positions: a hover answered before the statements after the edits
    have taken their offset moves (as the server answers one) is a fresh analysis's hover."""
    from neural_lsp import handlers
    from neural_lsp.features import hover

    rng = random.Random(17)
    snippets = ["1", "77", "", ", 2", "x", "HPO(choice(3, 5))", "\n    Dense(4)", "=", " Dense(2)"]
    store = DocumentStore()
    text = clean = program(50)
    uri = "file:///lazy.neural"
    store.open(uri, text, 1)
    await store.snapshot(uri)
    lazy = 0
    for version in range(2, 42):
        lines = text.split("\n")
        line = rng.randrange(3, len(lines) - 4)
        start = sum(len(x) + 1 for x in lines[:line])
        at = start + rng.randint(0, len(lines[line]))
        end = min(start + len(lines[line]), at + rng.choice([0, 0, 1, 2]))
        new = rng.choice(snippets)
        if rng.random() < 0.3:  # back to the last text without errors, as undo does
            at, end, new = 0, len(text), clean
        store.change(uri, version, [types.TextDocumentContentChangePartial(
            range=types.Range(position(text, at), position(text, end)), text=new)])
        text = text[:at] + new + text[end:]
        snap = await store.snapshot(uri, settled=False)
        if not snap.analysis.syntax_errors:
            clean = text
        want_snap = Snapshot("file:///fresh.neural", 1, analyze(text), LineMap(text, UTF16))
        shifts = snap.analysis.shifts
        lazy += shifts is not None and bool(shifts.entries)
        # inside the network first (read lazily), then anywhere (a position outside a
        # network applies every move first)
        body = range(text.index("layers:"), text.index("  loss:"))
        for offset in [*rng.sample(body, 25), *rng.sample(range(len(text)), 5)]:
            got = handlers.hover_at(store, snap, offset)
            want = hover.hover(want_snap, offset)
            assert got == want, (offset, text[offset - 10:offset + 10])
    assert lazy >= 10, lazy
    store.shutdown()
    await asyncio.sleep(0)


async def test_hovers_after_a_long_insertion_find_the_statements_after_it():
    """A long insertion in one statement: the short statements after it, still in their old
    offsets, would sort before it by those; a hover on each of them (a layer, an HPO
    expression and its parameter) is found by reading them through the list."""
    from neural_lsp import handlers
    from neural_lsp.features import hover

    body = "\n".join(["    Dense(4)", "    Flatten()", "    Dense(HPO(choice(8, 16)))", "    Dropout(0.5)"] * 6)
    text = ("network Lazy {\n  input: (16,)\n  layers:\n" + body +
            '\n    Output(10, "softmax")\n  loss: "sparse_categorical_crossentropy"\n}\n')
    store = DocumentStore()
    uri = "file:///long.neural"
    store.open(uri, text, 1)
    await store.snapshot(uri)
    at = text.index("Dense(4)") + len("Dense(4)")
    comment = "  # " + "x" * 300
    store.change(uri, 2, [types.TextDocumentContentChangePartial(
        range=types.Range(position(text, at), position(text, at)), text=comment)])
    text = text[:at] + comment + text[at:]
    snap = await store.snapshot(uri, settled=False)
    assert snap.analysis.shifts.entries, "the statements after it have not moved yet"
    want_snap = Snapshot("file:///fresh.neural", 1, analyze(text), LineMap(text, UTF16))
    for needle in ["Flatten", "Dense(HPO", "HPO(choice", "choice(8", "Dropout", "Output"]:
        offset = text.index(needle, at + len(comment)) + 1
        got = handlers.hover_at(store, snap, offset)
        assert got is not None and got == hover.hover(want_snap, offset), needle
    store.shutdown()
    await asyncio.sleep(0)


async def test_line_map_of_an_edit_equals_reading_the_text_again():
    from neural_lsp.core.positions import LineMap

    rng = random.Random(3)
    for _ in range(5000):
        text = "".join(rng.choice("ab\n é\r") for _ in range(rng.randint(0, 30)))
        a = rng.randint(0, len(text))
        b = rng.randint(a, len(text))
        new = "".join(rng.choice("x\n\n é\r") for _ in range(rng.randint(0, 5)))
        for enc in ("utf-16", "utf-32"):
            got = LineMap(text, enc).edited(a, b, new)
            want = LineMap(text[:a] + new + text[b:], enc)
            assert (got.text, got.starts, got.ascii) == (want.text, want.starts, want.ascii)
