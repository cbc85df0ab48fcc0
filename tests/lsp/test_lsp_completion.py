"""Completion and signature help while typing, over stdio."""

from __future__ import annotations

import pytest
from lsprotocol import types

from compiler import vocab
from compiler.layers import ACTIVATIONS, canonical_names
from tests.lsp.conftest import apply_edits, open_doc, position, server_fixture, vscode_like

pytestmark = pytest.mark.asyncio(loop_scope="module")

client = server_fixture()
plain_client = server_fixture(name="plain_client", capabilities=vscode_like(
    completion=types.CompletionClientCapabilities(
        completion_item=types.ClientCompletionItemOptions(snippet_support=False))))

NET = """define Block {
  Dense(32, activation="relu")
}

network N {
  input: (28, 28, 1)
  layers:
    Conv2D(32, (3, 3))
    %s
  loss: "sparse_categorical_crossentropy"
}
"""


async def _complete(client, template: str, fill: str):
    """Completion at the `|` in fill, placed into template."""
    text = template % fill if "%s" in template else fill
    offset = text.index("|")
    text = text.replace("|", "", 1)
    uri = open_doc(client, text)
    got = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, offset)))
    items = got.items if isinstance(got, types.CompletionList) else got
    return text, offset, {i.label: i for i in items}


async def test_layer_names_with_snippets_and_macros(client):
    text, off, items = await _complete(client, NET, "Con|")
    assert set(canonical_names()) <= set(items)
    assert "Block" in items, "macro names"
    conv = items["Conv2D"]
    assert conv.insert_text_format == types.InsertTextFormat.Snippet
    assert conv.text_edit.new_text == "Conv2D(${1:filters}, ${2:kernel_size})"
    assert apply_edits(text, [conv.text_edit]).count("Conv2D(${1:filters}") == 1
    assert conv.text_edit.range.start == position(text, off - 3), "replaces the typed word"
    assert items["Flatten"].text_edit.new_text == "Flatten()"
    assert items["ResidualConnection"].text_edit.new_text.startswith("ResidualConnection {")
    assert "HPO(choice(layers...))" in items


async def test_no_snippets_for_a_client_without_them(plain_client):
    _text, _off, items = await _complete(plain_client, NET, "Con|")
    conv = items["Conv2D"]
    assert conv.insert_text_format == types.InsertTextFormat.PlainText
    assert conv.text_edit.new_text == "Conv2D(filters, kernel_size)"
    assert isinstance(conv.documentation, str), "no markdown for a client that did not offer it"


async def test_parameter_names_of_the_layer_being_typed(client):
    _text, _off, items = await _complete(client, NET, "Dense(64, |")
    assert {"activation=", "use_bias=", "kernel_initializer="} <= set(items)
    assert '"relu"' in items, "the positional parameter here is activation"
    _text, _off, items = await _complete(client, NET, "Conv2D(filters=8, kernel_size=3, |)")
    assert "filters=" not in items and "kernel_size=" not in items
    assert "padding=" in items and "strides=" in items


async def test_enumerated_values(client):
    _t, _o, items = await _complete(client, NET, "Dense(64, activation=|")
    assert [f'"{a}"' for a in ACTIVATIONS] == [k for k in items if k.startswith('"')]
    assert "HPO(choice(...))" in items
    _t, _o, items = await _complete(client, NET, "Conv2D(8, 3, padding=|")
    assert {'"valid"', '"same"'} <= set(items)
    text, off, items = await _complete(client, NET, 'Dense(64, activation="re|')
    assert "relu" in items and '"relu"' not in items, "inside quotes: bare values"
    assert 'Dense(64, activation="relu\n' in apply_edits(text, [items["relu"].text_edit])
    _t, _o, items = await _complete(client, NET, "Conv2D(8, 3, padding=HPO(choice(|")
    assert {'"valid"', '"same"'} <= set(items) and "HPO(choice(...))" not in items


async def test_hpo_snippets(client):
    _t, _o, items = await _complete(client, NET, "Dense(|")
    assert items["HPO(log_range(...))"].text_edit.new_text == "HPO(log_range(${1:1e-4}, ${2:1e-2}))"
    _t, _o, items = await _complete(client, NET, "Dense(HPO(|")
    assert list(items) == ["choice", "range", "log_range", "custom"]


async def test_loss_optimizer_and_train_values(client):
    base = "network N {\n  input: (4,)\n  layers:\n    Dense(2)\n  %s\n}\n"
    _t, _o, items = await _complete(client, base, "loss: |")
    assert [f'"{n}"' for n in vocab.LOSSES] == [k for k in items if k.startswith('"')]
    _t, _o, items = await _complete(client, base, "optimizer: |")
    assert set(vocab.OPTIMIZERS) <= set(items)
    assert items["Adam"].text_edit.new_text == "Adam(learning_rate=${1:0.001})"
    _t, _o, items = await _complete(client, base, "optimizer: SGD(momentum=0.9, |)")
    assert "learning_rate=" in items and "momentum=" not in items
    _t, _o, items = await _complete(client, base, "optimizer: Adam(learning_rate=|)")
    assert "ExponentialDecay" in items and "HPO(log_range(...))" in items
    _t, _o, items = await _complete(client, base, "train {\n    epochs: 3\n    |\n  }")
    assert "batch_size" in items and "epochs" not in items
    _t, _o, items = await _complete(client, base, "train {\n    search_method: |\n  }")
    assert [f'"{m}"' for m in vocab.SEARCH_METHODS] == list(items)
    _t, _o, items = await _complete(client, base, "train {\n    dataset: |\n  }")
    assert {'"digits"', '"synthetic_sequence"'} <= set(items) and "HPO(choice(...))" not in items
    _t, _o, items = await _complete(client, base, 'execute { device: "|" }')
    assert {"auto", "cpu", "cuda:0"} <= set(items)


async def test_sections_and_top_level(client):
    _t, _o, items = await _complete(client, "network N {\n  |\n}\n", "network N {\n  |\n}\n")
    assert list(items) == ["input", "layers", "loss", "optimizer", "metrics", "train", "execute"]
    _t, _o, items = await _complete(client, "", "|")
    assert list(items) == ["network", "define"]


async def test_completion_survives_an_unclosed_network(client):
    _t, _o, items = await _complete(client, "", "network N {\n  input: (4,)\n  layers:\n    Dense(4, |")
    assert "activation=" in items


async def _signature(client, fill: str):
    text = NET % fill
    offset = text.index("|")
    text = text.replace("|", "", 1)
    uri = open_doc(client, text)
    return await client.text_document_signature_help_async(types.SignatureHelpParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, offset)))


async def test_signature_help_active_parameter(client):
    sh = await _signature(client, "Conv2D(16, |)")
    sig = sh.signatures[0]
    assert sig.label.startswith("Conv2D(filters, kernel_size, activation=none")
    assert sh.active_parameter == 1
    start, end = sig.parameters[1].label
    assert sig.label[start:end] == "kernel_size"
    sh = await _signature(client, "Conv2D(16, 3, padding=|)")
    start, end = sh.signatures[0].parameters[sh.active_parameter].label
    assert sh.signatures[0].label[start:end] == 'padding="valid"'
    sh = await _signature(client, "Dense(HPO(choice(32, |)))")
    assert sh.signatures[0].label.startswith("Dense(") and sh.active_parameter == 0
    assert await _signature(client, "Flatten()|") is None
