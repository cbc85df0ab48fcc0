"""Document symbols, folding ranges, semantic tokens, and definition / references /
rename for macros, over stdio."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from compiler.analysis import analyze
from tests.lsp.conftest import (
    EXAMPLES,
    apply_edits,
    open_doc,
    pos,
    server_fixture,
    text_of,
    vscode_like,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

client = server_fixture()
flat = server_fixture(name="flat", capabilities=vscode_like(
    document_symbol=types.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=False)))
TEXTS = {p.stem: p.read_text() for p in EXAMPLES}

MACROS = """define Block {
  Dense(32, activation="relu")
  Dropout(0.2)
}

define Twice {
  Block()
  block()
}

network N {
  input: (8,)
  layers:
    Block() * 2
    Twice()
    TimeDistributed(Dense(4))
    Output(2, activation="softmax")
}
"""


def _td(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def test_document_symbols(client):
    text = TEXTS["residual_macro"]
    uri = open_doc(client, text)
    syms = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=_td(uri)))
    assert [(s.name, s.kind) for s in syms] == [("ResBlock", types.SymbolKind.Function),
                                                ("ResNetMini", types.SymbolKind.Class)]
    net = syms[1]
    assert net.detail == "(32, 32, 3) → (10,)"
    assert [c.name for c in net.children] == ["Conv2D", "ResBlock × 3", "GlobalAveragePooling2D", "Output"]
    assert [c.detail for c in net.children] == ["(32, 32, 32)", "(32, 32, 32)", "(32,)", "(10,)"]
    assert text_of(text, net.children[1].selection_range) == "ResBlock"
    block = syms[0].children[0]
    assert block.name == "ResidualConnection"
    assert [c.name for c in block.children] == ["Conv2D", "BatchNormalization", "Conv2D"]
    for s in (net, *net.children):
        r, sel = s.range, s.selection_range
        assert (r.start.line, r.start.character) <= (sel.start.line, sel.start.character)
        assert (sel.end.line, sel.end.character) <= (r.end.line, r.end.character)


async def test_flat_symbols_for_old_clients(flat):
    uri = open_doc(flat, TEXTS["mnist_cnn"])
    syms = await flat.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=_td(uri)))
    assert all(isinstance(s, types.SymbolInformation) for s in syms)
    assert syms[0].name == "MNISTClassifier" and syms[1].container_name == "MNISTClassifier"


async def test_folding_ranges(client):
    text = TEXTS["hpo_advanced"]
    uri = open_doc(client, text)
    folds = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=_td(uri)))
    got = {(f.start_line, f.end_line, f.kind) for f in folds}
    lines = text.split("\n")
    net = pos(text, "network").line
    assert (net, len(lines) - 3, "region") in got, "the network, closing brace left visible"
    assert (0, 1, "comment") in got, "the two header comment lines"
    conv = pos(text, "Conv2D(").line
    assert (conv, conv + 4, None) in got, "a layer written over several lines"
    train = pos(text, "train {").line
    assert (train, train + 4, None) in got


async def test_semantic_tokens(client):
    text = TEXTS["residual_macro"]
    uri = open_doc(client, text)
    legend = client.init_result.capabilities.semantic_tokens_provider.legend
    got = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=_td(uri)))
    data = list(got.data)
    assert len(data) % 5 == 0 and data
    line = col = 0
    toks = []
    lines = text.split("\n")
    for i in range(0, len(data), 5):
        dl, dc, length, t, mods = data[i:i + 5]
        line += dl
        col = col + dc if dl == 0 else dc
        toks.append((lines[line][col:col + length], legend.token_types[t], mods))
    kinds = {}
    for word, kind, _m in toks:
        kinds.setdefault(word, set()).add(kind)
    assert kinds["define"] == {"keyword"} and kinds["network"] == {"keyword"}
    assert kinds["ResBlock"] == {"macro"}
    assert kinds["Conv2D"] == {"class"} and kinds["ResidualConnection"] == {"class"}
    assert kinds["padding"] == {"parameter"}
    assert kinds['"same"'] == {"string"} and kinds["32"] == {"number"}
    assert kinds["layers"] == {"keyword"} and kinds["epochs"] == {"property"}
    assert kinds["SGD"] == {"function"}
    assert "comment" in kinds["# Residual blocks written once with `define`, used three times."]
    # range request: only the tokens of the network's layers
    start = pos(text, "layers:")
    part = await client.text_document_semantic_tokens_range_async(types.SemanticTokensRangeParams(
        text_document=_td(uri), range=types.Range(start=start, end=pos(text, "loss:"))))
    assert 0 < len(part.data) < len(data)


async def test_definition_and_references(client):
    uri = open_doc(client, MACROS)
    loc = await client.text_document_definition_async(types.DefinitionParams(
        text_document=_td(uri), position=pos(MACROS, "Block() * 2", 2)))
    assert loc.range.start == pos(MACROS, "Block")
    # `block()` is the same macro (no built-in layer is called that)
    refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=_td(uri), position=pos(MACROS, "Block", 1),
        context=types.ReferenceContext(include_declaration=True)))
    assert sorted((r.range.start.line, r.range.start.character) for r in refs) == sorted(
        (p.line, p.character) for p in (pos(MACROS, "Block"), pos(MACROS, "Block()"),
                                        pos(MACROS, "block()"), pos(MACROS, "Block() * 2")))
    no_decl = await client.text_document_references_async(types.ReferenceParams(
        text_document=_td(uri), position=pos(MACROS, "Block"),
        context=types.ReferenceContext(include_declaration=False)))
    assert len(no_decl) == 3
    assert await client.text_document_definition_async(types.DefinitionParams(
        text_document=_td(uri), position=pos(MACROS, "Dense(4)"))) is None


async def test_rename_macro(client):
    uri = open_doc(client, MACROS)
    prep = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        text_document=_td(uri), position=pos(MACROS, "Twice()", 1)))
    assert prep.placeholder == "Twice" and prep.range.start == pos(MACROS, "Twice()")
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=_td(uri), position=pos(MACROS, "Block() * 2"), new_name="Mlp"))
    (change,) = edit.document_changes
    assert change.text_document.version == 1
    new = apply_edits(MACROS, change.edits)
    assert "Block" not in new and "block()" not in new and new.count("Mlp") == 4
    before, after = analyze(MACROS), analyze(new)
    assert [d.code for d in after.diagnostics] == [d.code for d in before.diagnostics]
    assert [ls.outputs for ls in after.shapes[0].layers] == [ls.outputs for ls in before.shapes[0].layers]
    assert await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        text_document=_td(uri), position=pos(MACROS, "Dense(32"))) is None


@pytest.mark.parametrize("bad", ["Twice", "Dense", "2fast", "has space", "network"])
async def test_rename_refuses_bad_names(client, bad):
    uri = open_doc(client, MACROS)
    with pytest.raises(JsonRpcException) as err:
        await client.text_document_rename_async(types.RenameParams(
            text_document=_td(uri), position=pos(MACROS, "Block"), new_name=bad))
    assert err.value.code == -32803


async def test_whole_document_answers_for_a_big_document(client):
    """Past 100,000 characters these are computed in the worker thread: same answers."""
    body = "\n".join(f'    Dense({8 + i % 5}, activation="relu")  # layer {i}' for i in range(2500))
    text = f"network Big {{\n  input: (16,)\n  layers:\n{body}\n    Output(2)\n}}\n"
    assert len(text) > 100_000
    uri = open_doc(client, text)
    syms = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=_td(uri)))
    assert len(syms[0].children) == 2501 and syms[0].children[-1].detail == "(2,)"
    toks = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=_td(uri)))
    # per layer: Dense, the number, activation, "relu", the comment; then network, Big, input,
    # (16), layers, Output, 2
    assert len(toks.data) == 5 * (2500 * 5 + 7)
    folds = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=_td(uri)))
    assert (0, text.count("\n") - 2) in {(f.start_line, f.end_line) for f in folds}
