"""Hover (layers, HPO expressions, macro uses, arguments), inlay shape hints and
`neural/networkShape`, over stdio against the examples."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from compiler.analysis import analyze
from tests.lsp.conftest import (
    EXAMPLES,
    diagnostics,
    hover_text,
    open_doc,
    plain,
    pos,
    server_fixture,
    text_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

client = server_fixture()
TEXTS = {p.stem: p.read_text() for p in EXAMPLES}


async def _hover(client, text: str, needle: str, delta: int = 0, nth: int = 0, uri=None):
    uri = uri or open_doc(client, text)
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=pos(text, needle, delta, nth)))
    return h


async def test_layer_hover_has_signature_doc_shapes_and_count(client):
    text = TEXTS["mnist_cnn"]
    h = await _hover(client, text, "Conv2D", 2)
    body = hover_text(h)
    assert "Conv2D(filters, kernel_size" in body
    assert "2-D convolution" in body
    assert "`(28, 28, 1)` → `(26, 26, 32)`" in body
    assert "**Parameters**: 320" in body
    assert text_of(text, h.range) == "Conv2D"


async def test_layer_hover_lists_every_shape_under_the_space(client):
    text = TEXTS["hpo_advanced"]
    body = hover_text(await _hover(client, text, "Conv2D(", 1))
    # filters {32, 64} x kernel {(3,3), (5,5)} x padding {same, valid}: 6 distinct outputs
    for shape in ["(28, 28, 32)", "(26, 26, 32)", "(24, 24, 32)", "(28, 28, 64)", "(26, 26, 64)",
                  "(24, 24, 64)"]:
        assert f"`{shape}`" in body
    assert "6 output shapes" in body
    assert "layers[0].Conv2D.kernel_size=(5, 5)" in body
    assert "320..1,664" in body


async def test_hpo_hover_choice(client):
    text = TEXTS["digits_mlp_hpo"]
    h = await _hover(client, text, "HPO(choice(32, 64, 128))", 5)
    body = hover_text(h)
    assert "`layers[1].Dense.units`" in body
    assert "choice" in body
    assert "Values: 3 — 32, 64, 128" in body
    space = analyze(text).networks[0].space
    assert space.describe_size() in body
    assert text_of(text, h.range) == "HPO(choice(32, 64, 128))"


async def test_hpo_hover_range_with_step(client):
    text = TEXTS["digits_mlp_hpo"]
    body = hover_text(await _hover(client, text, "HPO(range(0.0, 0.4", 1))
    assert "`layers[2].Dropout.rate`" in body
    assert "Bounds: [0, 0.4] (float), step 0.1" in body
    assert "Values: 5 — 0.0, 0.1, 0.2, 0.3, 0.4" in body


async def test_hpo_hover_log_range(client):
    text = TEXTS["digits_mlp_hpo"]
    body = hover_text(await _hover(client, text, "log_range"))
    assert "`optimizer.Adam.learning_rate`" in body
    assert "log scale" in body and "continuous" in body
    assert "Bounds: [0.001, 0.03]" in body


async def test_hpo_hover_shortens_many_values(client):
    text = ("network N {\n  input: (8,)\n  layers:\n    Dense(HPO(range(1, 100)))\n"
            "    Output(2, activation=\"softmax\")\n}\n")
    body = hover_text(await _hover(client, text, "range"))
    assert "Values: 100 — 1, 2, 3, 4, 5, 6, ..., 100 (100 values)" in body
    assert "every integer" in body


async def test_macro_use_hover_shows_expansion(client):
    text = TEXTS["residual_macro"]
    h = await _hover(client, text, "ResBlock() * 3", 1)
    body = hover_text(h)
    assert "**macro** `ResBlock`" in body
    assert "ResidualConnection {" in body  # the body as written
    assert "6 layers" in body  # 2 layers x 3
    assert "- Activation: `(32, 32, 32)` → `(32, 32, 32)`" in body
    assert text_of(text, h.range) == "ResBlock"


async def test_layer_inside_macro_shows_each_use(client):
    text = TEXTS["residual_macro"]
    body = hover_text(await _hover(client, text, 'Activation("relu")', 1))
    assert "Occurrence 3 of 3" in body


async def test_argument_name_hover(client):
    text = TEXTS["mnist_cnn"]
    body = hover_text(await _hover(client, text, "kernel_size", 1))
    assert body.startswith("**kernel_size** (ints, required)")


async def test_nothing_on_a_comment(client):
    text = TEXTS["mnist_cnn"]
    assert await _hover(client, text, "# An MNIST", 3) is None


async def test_inlay_hints_after_each_layer(client):
    text = TEXTS["mnist_cnn"]
    uri = open_doc(client, text)
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(0, 0), end=types.Position(100, 0))))
    labels = [h.label for h in hints]
    assert labels == ["→ (26, 26, 32)", "→ (13, 13, 32)", "→ (11, 11, 64)", "→ (5, 5, 64)",
                      "→ (1600,)", "→ (128,)", "→ (128,)", "→ (10,)"]
    assert hints[0].position == pos(text, 'activation="relu")', len('activation="relu")'))
    # a range holding only the Flatten line gets only its hint
    line = pos(text, "Flatten").line
    some = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line, 0), end=types.Position(line + 1, 0))))
    assert [h.label for h in some] == ["→ (1600,)"]


BLOCK_NET = ('network R {\n  input: (8, 8, 4)\n  layers:\n    ResidualConnection {\n'
             '      Conv2D(HPO(choice(4, 8)), (3, 3), padding="same")\n      Conv2D(4, (1, 1))\n'
             '    }\n    Flatten()\n    Output(2, "softmax")\n  loss: categorical_crossentropy\n}\n')


async def test_layers_inside_blocks_have_shapes_in_hover_and_hints(client):
    # a block in the network: every shape its layers take under the search space
    body = hover_text(await _hover(client, BLOCK_NET, "Conv2D(HPO", 2))
    assert "(2 output shapes)" in body
    assert "`(8, 8, 4)` → `(8, 8, 8)` with layers[0].ResidualConnection.layers[0].Conv2D.filters=8" in body
    body = hover_text(await _hover(client, BLOCK_NET, "Conv2D(4", 2))
    assert "`(8, 8, 8)`" not in body and "→ `(8, 8, 4)`" in body
    assert "**Parameters**: 20..36" in body
    uri = open_doc(client, BLOCK_NET)
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(0, 0), end=types.Position(20, 0))))
    got = sorted((h.position.line, h.label) for h in hints)
    assert got == [(4, "→ (8, 8, 4) | (8, 8, 8)"), (5, "→ (8, 8, 4)"), (6, "→ (8, 8, 4)"),
                   (7, "→ (256,)"), (8, "→ (2,)")]
    # a block in a macro, used three times: its layers' shapes on hover
    text = TEXTS["residual_macro"]
    body = hover_text(await _hover(client, text, "BatchNormalization", 2))
    assert "`(32, 32, 32)` → `(32, 32, 32)`" in body and "**Parameters**: 128" in body


async def test_inlay_hints_follow_the_setting(client):
    text = TEXTS["lstm_text"]
    uri = open_doc(client, text)
    await diagnostics(client, uri, 1)
    params = types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                   range=types.Range(start=types.Position(0, 0), end=types.Position(99, 0)))
    assert len(await client.text_document_inlay_hint_async(params)) == 6
    refreshes = client.inlay_refreshes
    client.set_configuration({"inlayHints": {"shapes": False}, "diagnostics": {"level": "hint"}},
                             section="neural")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    for _ in range(300):
        if client.inlay_refreshes > refreshes:
            break
        await asyncio.sleep(0.01)
    assert client.inlay_refreshes > refreshes, "the client is asked to refresh its hints"
    assert list(await client.text_document_inlay_hint_async(params)) == []
    client.set_configuration({"inlayHints": {"shapes": True}, "diagnostics": {"level": "hint"}},
                             section="neural")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))


async def test_network_shape_request(client):
    text = TEXTS["mnist_cnn"]
    uri = open_doc(client, text)
    r = plain(await client.protocol.send_request_async(
        "neural/networkShape", {"uri": uri, "position": {"line": pos(text, "Flatten").line,
                                                         "character": pos(text, "Flatten").character + 1}}))
    assert r == {"network": "MNISTClassifier", "input": "(28, 28, 1)", "output": "(10,)",
                 "layer": "Flatten", "layer_output": "(1600,)"}
    indent = plain(await client.protocol.send_request_async(
        "neural/networkShape", {"uri": uri, "position": {"line": pos(text, "Flatten").line, "character": 0}}))
    assert indent["layer"] == "Flatten", "the cursor in a layer line's indentation means that layer"
    on_name = plain(await client.protocol.send_request_async(
        "neural/networkShape", {"uri": uri, "position": {"line": 1, "character": 10}}))
    assert on_name["network"] == "MNISTClassifier" and on_name["layer"] is None
    outside = await client.protocol.send_request_async(
        "neural/networkShape", {"uri": uri, "position": {"line": 0, "character": 0}})
    assert outside is None


async def test_network_shape_of_a_macro_use(client):
    text = TEXTS["residual_macro"]
    uri = open_doc(client, text)
    p = pos(text, "ResBlock() * 3")
    r = plain(await client.protocol.send_request_async(
        "neural/networkShape", {"uri": uri, "position": {"line": p.line, "character": p.character}}))
    assert r["layer"] == "ResBlock × 3" and r["layer_output"] == "(32, 32, 32)"


async def test_network_and_macro_name_hover(client):
    text = TEXTS["residual_macro"]
    body = hover_text(await _hover(client, text, "ResNetMini", 2))
    assert "**Shape**: `(32, 32, 3)` → `(10,)`" in body
    assert "4 statements, 9 layers" in body
    assert "**Parameters**: 57,098" in body  # 896 + 3 x 18,624 + 330
    body = hover_text(await _hover(client, TEXTS["digits_mlp_hpo"], "DigitsMLP", 1))
    assert "**Search space**: continuous (1 continuous parameter × 120 discrete combinations), " \
           "6 parameters" in body
    body = hover_text(await _hover(client, text, "ResBlock {", 1))
    assert body.startswith("**macro** `ResBlock`") and "Defined on line 2" in body
