"""Code actions (the compiler's quick fixes, Flatten() before a Dense on a feature map,
commands as source actions) and code lenses, over stdio."""

from __future__ import annotations

import pytest
from lsprotocol import types

from compiler.analysis import analyze
from tests.lsp.conftest import (
    apply_edits,
    diagnostics,
    open_doc,
    pos,
    raw_request,
    server_fixture,
    text_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

client = server_fixture()

TYPOS = """network T {
  input: (28, 28, 1)
  layers:
    Conv2D(filters=8, kernal_size=(3, 3), activation="rellu")
    Flaten()
    Output(10, activation="softmax")
  optimizer: Adam(learning_rate=HPO(range(0.0001, 0.1)))
}
"""

FEATURE_MAP = """define Head {
  Dense(16)
}

network F {
  input: (8, 8, 3)
  layers:
    Conv2D(4, 3)
    Dense(32, activation="relu")
    Output(10, activation="softmax")
}

network G {
  input: (8, 8, 3)
  layers:
    Conv2D(4, 3)
    Head()
    Flatten()
    Output(10, activation="softmax")
}
"""


async def _actions(client, text, uri, start, end=None, only=None):
    got = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=start, end=end or start),
        context=types.CodeActionContext(diagnostics=[], only=only)))
    return got


def _edits(action: types.CodeAction) -> list[types.TextEdit]:
    (change,) = action.edit.document_changes
    return list(change.edits)


async def test_did_you_mean_fixes(client):
    uri = open_doc(client, TYPOS)
    await diagnostics(client, uri, 1)
    acts = await _actions(client, TYPOS, uri, pos(TYPOS, "kernal_size"))
    fix = next(a for a in acts if a.kind == "quickfix")
    assert fix.title == "Change to 'kernel_size'"
    assert fix.diagnostics[0].code == "N202"
    fixed = apply_edits(TYPOS, _edits(fix))
    assert "kernel_size=(3, 3)" in fixed and "N202" not in [d.code for d in analyze(fixed).diagnostics]
    acts = await _actions(client, TYPOS, uri, pos(TYPOS, "rellu"))
    assert any(a.title == 'Change to "relu"' for a in acts)
    acts = await _actions(client, TYPOS, uri, pos(TYPOS, "Flaten"))
    assert any(a.title == "Change to 'Flatten'" for a in acts)


async def test_log_range_fix(client):
    uri = open_doc(client, TYPOS)
    acts = await _actions(client, TYPOS, uri, pos(TYPOS, "HPO(range"))
    fix = next(a for a in acts if a.title == "Use log_range")
    assert fix.diagnostics[0].code == "N409"
    fixed = apply_edits(TYPOS, _edits(fix))
    assert "learning_rate=HPO(log_range(0.0001, 0.1))" in fixed
    assert "N409" not in [d.code for d in analyze(fixed).diagnostics]


async def test_flatten_before_dense_on_a_feature_map(client):
    uri = open_doc(client, FEATURE_MAP)
    got = await diagnostics(client, uri, 1)
    assert [d.code for d in got] == ["N504", "N504", "N504"]  # Dense, then Output, in F; Head in G
    acts = await _actions(client, FEATURE_MAP, uri, pos(FEATURE_MAP, 'Dense(32'))
    fix = next(a for a in acts if a.title.startswith("Insert Flatten()"))
    assert fix.title == "Insert Flatten() before Dense"
    fixed = apply_edits(FEATURE_MAP, _edits(fix))
    assert "    Conv2D(4, 3)\n    Flatten()\n    Dense(32" in fixed
    a = analyze(fixed)
    assert [d.code for d in a.diagnostics] == ["N504"], "only the macro's one is left"
    assert a.shapes[0].layers[2].outputs == {(32,): ()}


async def test_flatten_inside_a_macro(client):
    uri = open_doc(client, FEATURE_MAP)
    await diagnostics(client, uri, 1)
    acts = await _actions(client, FEATURE_MAP, uri, pos(FEATURE_MAP, "Head()"))
    fix = next(a for a in acts if a.title.startswith("Insert Flatten()"))
    assert "in the macro" in fix.title
    fixed = apply_edits(FEATURE_MAP, _edits(fix))
    assert "define Head {\n  Flatten()\n  Dense(16)\n}" in fixed
    assert [d.code for d in analyze(fixed).diagnostics] == ["N504", "N504"], "only network F's are left"


async def test_fix_edits_carry_the_document_version(client):
    uri = open_doc(client, TYPOS, version=7)
    acts = await _actions(client, TYPOS, uri, pos(TYPOS, "Flaten"))
    fix = next(a for a in acts if a.kind == "quickfix")
    assert fix.edit.document_changes[0].text_document.version == 7


def _raw_params(uri, p, only):
    return types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                  range=types.Range(start=p, end=p),
                                  context=types.CodeActionContext(diagnostics=[], only=only))


async def test_commands_as_source_actions(client):
    uri = open_doc(client, FEATURE_MAP)
    acts = await raw_request(client, "textDocument/codeAction",
                             _raw_params(uri, pos(FEATURE_MAP, "Output", nth=1), ["source"]))
    assert [a["command"]["command"] for a in acts] == ["neural.server.compile", "neural.server.compile",
                                                       "neural.server.train"]
    assert acts[0]["command"]["arguments"] == [uri, "pytorch", "G"], "the network under the cursor"
    assert all(a["kind"].startswith("source.neural.") for a in acts)
    train = await raw_request(client, "textDocument/codeAction",
                              _raw_params(uri, pos(FEATURE_MAP, "Output"), ["source.neural.train"]))
    assert train == [{"title": "Neural: Train", "kind": "source.neural.train",
                      "command": {"title": "Train", "command": "neural.server.train", "arguments": [uri, "F"]}}]
    only_fixes = await raw_request(client, "textDocument/codeAction",
                                   _raw_params(uri, pos(FEATURE_MAP, "Output"), ["quickfix"]))
    assert only_fixes and all(a["kind"] == "quickfix" for a in only_fixes)


async def test_code_lenses_above_each_network(client):
    text = FEATURE_MAP + """
network H {
  input: (8,)
  layers:
    Dense(HPO(choice(4, 8)))
    Output(2, activation="softmax")
}
"""
    uri = open_doc(client, text)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    by_line: dict[int, list] = {}
    for lens in lenses:
        by_line.setdefault(lens.range.start.line, []).append(lens.command)
    assert sorted(by_line) == [pos(text, "network F").line, pos(text, "network G").line,
                               pos(text, "network H").line]
    h = by_line[pos(text, "network H").line]
    assert [c.title for c in h] == ["Run HPO", "Compile to PyTorch", "Compile to TensorFlow", "Train"]
    assert [list(c.arguments) for c in h] == [[uri, "H", None], [uri, "pytorch", "H"],
                                              [uri, "tensorflow", "H"], [uri, "H"]]
    assert "Run HPO" not in [c.title for c in by_line[pos(text, "network F").line]], \
        "nothing to search in a network without HPO"
    lens = next(x for x in lenses if x.range.start.line == pos(text, "network H").line)
    assert text_of(text, lens.range) == "network H"
