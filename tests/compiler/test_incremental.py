"""An edit re-analysed incrementally gives exactly what analyze() gives on the new text.

Everything is compared: diagnostics, the syntax tree, the checked model (every offset, every
HPO parameter), the search space, shapes and witnesses, and the state kept for the next edit.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from compiler.analysis import Analysis, analyze
from compiler.incremental import changed_range, reanalyze, update
from compiler.model import CallValue, HPORef, LayerIR, OptimizerIR, Symbol
from compiler.space import HPOParam

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from compile_bench import program  # noqa: E402

EXAMPLES = [p.read_text() for p in sorted((ROOT / "examples").glob("*.neural"))]
CORPUS_DIR = ROOT.parent / "shared" / "conformance" / "corpus"
CORPUS = [p.read_text() for p in sorted(CORPUS_DIR.glob("*.neural"))] if CORPUS_DIR.is_dir() else []
PROGRAMS = [*EXAMPLES, *CORPUS, program(40)]

SNIPPETS = ["1", "0", "7", "5", "x", "e", ", ", "(", ")", '"', '"relu"', "units=", "=", "*", " * 2",
            "HPO(choice(3, 5))", "HPO(range(8, 64, step=8))", "HPO(log_range(1e-4, 1e-2))",
            "\n", "#", " # note", "Dense", "Dropout(0.5)", "Flatten()", "Conv2D(8, (3,3))",
            "MaxPooling2D((2,2))", "filters=", "activation=", "'same'", "-", ".", "{", "}", ":", "@",
            "Residual", "Output(10)", "Dens", "kernel_size=(5,5)", "padding=", " ", ";", ",",
            " Dense(3)"]


# ---------------------------------------------------------------------- structural dump
def _val(v, seen):
    if isinstance(v, LayerIR):
        return _layer(v, seen)
    if isinstance(v, HPORef):
        return ("hpo", v.param.name)
    if isinstance(v, (CallValue, OptimizerIR)):
        return (type(v).__name__, v.name, _val(v.params, seen), v.start, v.end)
    if isinstance(v, dict):
        return ("dict", [(k, _val(x, seen)) for k, x in v.items()])
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [_val(x, seen) for x in v])
    if isinstance(v, Symbol):
        return ("symbol", str(v))
    return v


def _layer(x: LayerIR, seen):
    return ("layer", x.spec.name if x.spec else None, x.name, _val(x.params, seen), x.start, x.end,
            x.name_start, x.name_end, x.path, (x.node.start, x.node.end) if x.node else None,
            [_layer(c, seen) for c in x.children] if x.children is not None else None, x.device,
            x.choice.name if x.choice else None, x.macro, x.use_start, x.use_end, x.valid)


def _param(p: HPOParam, text: str):
    return (p.name, p.kind, _val(p.options, set()), list(p.option_spans),
            [(o.start, o.end) for o in p.option_nodes], p.labels, p.low, p.high, p.step, p.is_int,
            p.parent.name if p.parent else None, [c.name for c in p.children], p.context,
            p.source == text, p.node.start, p.node.end)


def _diag(d):
    return (d.code, d.message, d.start, d.end, int(d.severity), d.fixes, d.related)


def dump(a: Analysis) -> dict:
    out = {"text": a.text, "diagnostics": [_diag(d) for d in a.diagnostics],
           "file_diags": sorted(_diag(d) for d in a.file_diags), "tree": a.tree}
    nets = []
    for n in a.networks:
        nets.append((
            n.name, n.node.start, n.inputs,
            [(s.index, s.stmt is n.node.layers[s.index], [_layer(x, set()) for x in s.layers],
              [_diag(d) for d in s.diags], [p.name for p in s.params]) for s in n.stmts],
            _val(n.loss, set()), _val(n.loss_params, set()), _val(n.optimizer, set()), n.metrics,
            _val(n.train, set()), _val(n.execute, set()),
            [_param(p, a.text) for p in n.space] if n.space is not None else None,
            [_diag(d) for d in n.tail_diags]))
    out["networks"] = nets
    shapes = []
    for res in a.shapes:
        inf = res.inference
        shapes.append((
            res.network.name,
            [(ls.layer.path, ls.layer.start, ls.layer.end, ls.layer.use_start,
              list(ls.inputs.items()) if ls.inputs is not None else None,
              list(ls.outputs.items()) if ls.outputs is not None else None, ls.params, ls.stmt_index)
             for ls in res.layers],
            res.total_params, [[_diag(d) for d in part] for part in res.stmt_diags],
            [[(ls.layer.path, ls.layer.start, list((ls.inputs or {}).items()),
               list((ls.outputs or {}).items()), ls.params, ls.stmt_index) for ls in part.values()]
             for part in res.stmt_nested],
            sorted(inf.shared), sorted(inf.params), inf.has_blocks))
    out["shapes"] = shapes
    c = a.checker
    out["macros"] = ({k: [_layer(x, set()) for x in v] for k, v in c.macro_layers.items()},
                     {k: [_param(p, a.text) for p in v] for k, v in c.macro_params.items()})
    return out


def assert_same(got: Analysis, text: str) -> None:
    got.settle()  # the statements' pending offset moves (read directly by the dump)
    want = dump(analyze(text))
    have = dump(got)
    for key in want:
        assert have[key] == want[key], f"{key} differs after the edit"


# ---------------------------------------------------------------------- edits
def layer_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of the lines of layer statements, found from a full analysis."""
    a = analyze(text)
    out = []
    for n in a.tree.networks:
        for s in n.layers or []:
            ls = text.rfind("\n", 0, s.start) + 1
            le = text.find("\n", s.end)
            out.append((ls, len(text) if le < 0 else le))
    return out


def random_edit(rng: random.Random, text: str, lines: list[tuple[int, int]]) -> str:
    if lines and rng.random() < 0.9:
        ls, le = rng.choice(lines)
    else:
        ls, le = 0, len(text)
    i = rng.randint(ls, le)
    j = min(le, i + rng.choice([0, 0, 1, 1, 2, 3, 8]))
    ins = "" if rng.random() < 0.25 else rng.choice(SNIPPETS)
    return text[:i] + ins + text[j:]


def step(a: Analysis, new: str) -> tuple[Analysis, bool]:
    """The analysis of `new` after an edit, as the server keeps it: updated in place (and then
    checked against a fresh one) or analysed whole; and whether it was updated."""
    got = reanalyze(a, new)
    if got is None:
        return analyze(new), False
    assert_same(got, new)
    return got, True


def test_changed_range():
    assert changed_range("abcdef", "abXYef") == (2, 4, 4)
    assert changed_range("aaaa", "aaaaa") == (4, 4, 5)
    assert changed_range("abc", "abc") == (3, 3, 3)
    assert changed_range("", "x") == (0, 0, 1)
    assert changed_range("xyz", "") == (0, 3, 0)
    old, new = "Dense(16)\n" * 5, "Dense(16)\n" * 2 + "Dense(17)\n" + "Dense(16)\n" * 2
    a, b, c = changed_range(old, new)
    assert old[:a] + new[a:c] + old[b:] == new


@pytest.mark.parametrize("seed", range(8))
def test_random_edits_match_full_analysis(seed):
    rng = random.Random(seed)
    applied = tried = 0
    for text in rng.sample(PROGRAMS, min(40, len(PROGRAMS))):
        lines = layer_lines(text)
        for _ in range(6):
            new = random_edit(rng, text, lines)
            tried += 1
            got = reanalyze(analyze(text), new)
            if got is not None:
                applied += 1
                assert_same(got, new)
    assert applied >= 5, (applied, tried)  # the corpus holds many syntax errors


@pytest.mark.parametrize("text", [*EXAMPLES, program(60)])
def test_typing_in_layer_lines_is_incremental(text):
    """Typing digits and names inside layer statements: most edits take the fast path."""
    rng = random.Random(7)
    lines = layer_lines(text)
    applied = 0
    for _ in range(40):
        ls, le = rng.choice(lines)
        i = rng.randint(ls, le)
        new = text[:i] + rng.choice(["1", "0", "x", "e", " ", "_"]) + text[i:]
        got = reanalyze(analyze(text), new)
        if got is not None:
            applied += 1
            assert_same(got, new)
    assert applied >= 20, applied


@pytest.mark.parametrize("seed", range(4))
def test_chains_of_edits_keep_matching(seed):
    """One analysis updated edit after edit (the server's case) stays exact."""
    rng = random.Random(100 + seed)
    applied = 0
    for text in [*EXAMPLES, program(30)]:
        a = analyze(text)
        clean = text
        for _ in range(25):
            lines = layer_lines(text)
            if rng.random() < 0.3:
                new = clean  # back to the last text without a syntax error, as undo would
            elif rng.random() < 0.6:
                new = random_edit(rng, text, lines)
            else:
                ls, le = rng.choice(lines)
                i = rng.randint(ls, le)
                new = text[:i] + rng.choice(["1", "0", "x", " ", "_", ", 2", "(", ")"]) + text[i:]
            a, took = step(a, new)
            applied += took
            text = new
            if not a.syntax_errors:
                clean = text
    assert applied > 15, applied


def test_diagnostics_come_before_the_rest_moves():
    text = program(20)
    a = analyze(text)
    old = 'Conv2D(16, (3, 3)'
    i = text.index(old, len(text) // 2)
    new = text[:i] + 'Conv2D(filters=0, kernel_size=(3, 3)' + text[i + len(old):]
    pending = update(a, new)
    assert pending is not None
    assert [_diag(d) for d in a.diagnostics] == [_diag(d) for d in analyze(new).diagnostics]
    assert any(d.code == "N302" for d in a.diagnostics)
    pending.finish()
    assert_same(a, new)


def test_shape_change_flows_to_later_layers_and_back():
    text = ("network N {\n  input: (28, 28, 1)\n  layers:\n    Conv2D(8, (3,3))\n"
            "    Flatten()\n    Dense(10)\n    Output(10, activation=\"softmax\")\n"
            "  loss: categorical_crossentropy\n}\n")
    a = analyze(text)
    new = text.replace("Conv2D(8, (3,3))", "Conv2D(8, (31,31))")
    assert reanalyze(a, new) is a
    assert_same(a, new)
    assert any(d.code == "N502" for d in a.diagnostics)
    assert reanalyze(a, text) is a
    assert_same(a, text)


@pytest.mark.parametrize("new_line", [
    "    MyBlock\n",                        # a macro
    "    ResidualConnection { Dense(8) }\n",  # a block
    "    HPO(choice(Dense(8), Dropout(0.5)))\n",  # a layer choice
    "    Dense(8\n",                         # a syntax error
])
def test_edits_with_effects_beyond_the_statement_fall_back(new_line):
    text = ("define MyBlock {\n  Dense(4)\n}\nnetwork N {\n  input: (8,)\n  layers:\n    Dense(16)\n"
            "    Output(2)\n  loss: mse\n}\n")
    a = analyze(text)
    assert update(a, text.replace("    Dense(16)\n", new_line)) is None
    assert_same(a, text)  # untouched


@pytest.mark.parametrize("fixed", ['Dense(64, activation="relu")', "Dense(64)", "Dense(64, activation=x)"])
def test_fixing_a_syntax_error_inside_the_statement_is_incremental(fixed):
    """The statement parsed with an error (recovered inside its brackets); its new lines parse
    cleanly: the error goes, and the result is a fresh analysis's."""
    text = ("network N {\n  input: (8,)\n  layers:\n    Dense(16)\n    Dense(64, activation=)\n"
            "    Output(2)\n  loss: mse\n}\n")
    a = analyze(text)
    assert [d.code for d in a.syntax_errors] == ["N102"]
    new = text.replace("Dense(64, activation=)", fixed)
    assert reanalyze(a, new) is a
    assert_same(a, new)
    assert not a.syntax_errors
    # ...and making it again (typing `activation=` before its value): the parser recovers
    # inside the statement's brackets, so the rest of the tree stays
    b = analyze(new)
    assert reanalyze(b, text) is b
    assert_same(b, text)
    assert [d.code for d in b.syntax_errors] == ["N102"]


@pytest.mark.parametrize("typed", ["Dense(64, activation=)", "Dense(64 activation)", "Dense(64, =)",
                                   "Dense(64, [3, )", "Dense(64, activation=, units=3)",
                                   "Dense(64) Dropout(0.5,,)"])
def test_a_statement_being_typed_keeps_the_rest_of_the_tree(typed):
    """An incomplete statement the parser recovers from inside its own brackets is parsed
    alone; its errors, and the checks of what was recovered, are a fresh analysis's."""
    text = LIST.replace("Dropout(0.5)", typed)
    a = analyze(LIST)
    assert reanalyze(a, text) is a, "handled without a full analysis"
    assert_same(a, text)
    assert a.syntax_errors
    assert reanalyze(a, LIST) is a  # and fixed again
    assert_same(a, LIST)


@pytest.mark.parametrize("typed", ["Dense(64, activation=", "Dense(64, [1, 2", "Dense(3) *",
                                   'Dense("relu)', "Dense(3) $"])
def test_an_error_that_may_read_the_next_lines_is_a_full_analysis(typed):
    """An open bracket at the end of the lines (the whole text's parser would read on into
    the next statements) or a tokenizer error: the whole text is analysed."""
    assert update(analyze(LIST), LIST.replace("Dropout(0.5)", typed)) is None


@pytest.mark.parametrize("old, new", [("Output(2)", "Output(2),"), ("Output(2)", "Output(2);"),
                                      ("Dense(16)", "Dense(16);"), ("Output(2)", "Output(2) Dense(3)")])
def test_separators_and_second_statements_on_the_line(old, new):
    text = "network N {\n  input: (8,)\n  layers:\n    Dense(16)\n    Output(2)\n  loss: mse\n}\n"
    edited = text.replace(old, new)
    got = reanalyze(analyze(text), edited)
    if got is not None:
        assert_same(got, edited)


LIST = ("network N {\n  input: (8,)\n  layers:\n    Dense(16)\n    Dense(HPO(choice(8, 12)))\n"
        "    Dropout(0.5)  # regularise\n    Output(2)\n  loss: categorical_crossentropy\n"
        "  optimizer: Adam(learning_rate=HPO(log_range(1e-4, 1e-2)))\n}\n")


@pytest.mark.parametrize("old, new", [
    ("    Dense(16)\n", "    Dense(16)\n    Dense(4)\n"),           # a statement inserted
    ("    Dense(16)\n", "    Dense(16)\n    \n"),                   # Enter: a blank line
    ("    Dense(16)\n    \n", "    Dense(16)\n    D\n"),          # its first key
    ("    Output(2)\n", "    Output(2)\n    Dense(3)\n"),          # one appended
    ("    Dropout(0.5)  # regularise\n", ""),                      # one deleted
    ("    Dense(16)\n", ""),                                       # the first deleted
    ("Dense(16)", "Dense(16)\n    Dense(HPO(choice(2, 4)))"),     # a line split in two
    ("    Dense(16)\n    Dense(HPO", "    Dense(HPO"),              # two lines joined
    ("    Dropout(0.5)  # regularise\n    Output(2)\n", ""),       # the last two deleted
])
def test_statements_inserted_or_deleted_reparse_the_rest_of_the_list(old, new):
    """A change in the number of statements re-parses from there to the end of the list (the
    later statements' indices, and so their HPO names, move): still what a fresh analysis
    gives, and untouched when the list would become empty."""
    text = LIST if old in LIST else LIST.replace("    Dense(16)\n", "    Dense(16)\n    \n")
    assert old in text
    edited = text.replace(old, new, 1)
    a = analyze(text)
    got = reanalyze(a, edited)
    assert got is a, "handled without a full analysis"
    assert_same(a, edited)


def test_deleting_every_statement_is_a_full_analysis():
    body = "    Dense(16)\n    Dense(HPO(choice(8, 12)))\n    Dropout(0.5)  # regularise\n    Output(2)\n"
    assert update(analyze(LIST), LIST.replace(body, "")) is None


NEW_LINES = ["    Dense(4)", "    Dropout(0.5)", "    Flatten()", "    Dense(HPO(choice(8, 16)))",
             '    Conv2D(8, (3,3), padding="same")', "    ", "", "    # comment", '    Output(10, "softmax")',
             "    D", "    Dense(", "    BatchNormalization() * 2", '    Dense(8) @ "cpu"',
             "    ResidualConnection { Dense(4) }", "    ResBlock", "    Dense(3);", "  loss: mse"]


@pytest.mark.parametrize("seed", range(3))
def test_random_line_edits_match_full_analysis(seed):
    """Lines inserted, deleted, duplicated, swapped or extended in the layer lists, one
    analysis updated edit after edit."""
    rng = random.Random(500 + seed)
    applied = 0
    for _ in range(40):
        text = rng.choice([*EXAMPLES, program(30), LIST])
        a = analyze(text)
        for _ in range(rng.choice([1, 3, 8])):
            lines = text.split("\n")
            spans = layer_lines(text)
            if not spans:
                break
            li = text.count("\n", 0, rng.choice(spans)[0])
            op = rng.random()
            if op < 0.35:
                lines.insert(li + rng.choice([0, 1]), rng.choice(NEW_LINES))
            elif op < 0.6:
                del lines[li]
            elif op < 0.75:
                lines.insert(li, lines[li])
            elif op < 0.9:
                j = min(len(lines) - 1, li + rng.choice([-1, 1]))
                lines[li], lines[j] = lines[j], lines[li]
            else:
                lines[li] += rng.choice([" Dense(2)", ";", ",", " # c"])
            new = "\n".join(lines)
            a, took = step(a, new)
            applied += took
            text = new
    assert applied > 40, applied


def test_a_stray_character_does_not_hide_a_continued_statement():
    """`$` is no token (N101): after it the parser sees `(x)`, which a bare layer name on the
    line before takes as its arguments. Whether the next line goes on with the statement is
    decided on tokens, as the parser sees them."""
    text = "network N {\n  input: (8,)\n  layers:\n    Dense(16)\n    $(4)\n    Output(2)\n}\n"
    assert update(analyze(text), text.replace("Dense(16)", "Dense")) is None


@pytest.mark.parametrize("seed", range(3))
def test_statements_read_between_edits_take_their_pending_moves(seed):
    """Edits do not move the statements after them; a statement read through its network's
    list (in any order, edits apart) is exactly the fresh analysis's, and so is what the
    model reads from it. Settling at the end gives the fresh analysis too."""
    rng = random.Random(900 + seed)
    for text in [*EXAMPLES, program(80), LIST]:
        a = analyze(text)
        applied = 0
        for _ in range(20):
            new = random_edit(rng, text, layer_lines(text))
            got = reanalyze(a, new)
            if got is None:
                a = analyze(new)
            else:
                applied += 1
            text = new
            fresh = analyze(text)
            for net, want in zip(a.tree.networks, fresh.tree.networks, strict=True):
                n = len(want.layers or [])
                assert len(net.layers or []) == n
                for i in rng.sample(range(n), min(n, 3)):
                    assert net.layers[i] == want.layers[i]
            for net, want in zip(a.networks, fresh.networks, strict=True):
                for i in rng.sample(range(len(want.stmts)), min(len(want.stmts), 3)):
                    net.node.layers[i]
                    assert [_layer(x, set()) for x in net.stmts[i].layers] == \
                        [_layer(x, set()) for x in want.stmts[i].layers]
        assert_same(a, text)


def _typed_prefixes(line: str) -> list[str]:
    """What a line reads after each key while it is typed, brackets and quotes closed by the
    editor (as VS Code does)."""
    out = []
    for n in range(1, len(line) + 1):
        s = line[:n]
        if s.count('"') % 2:
            s += '"'
        s += ")" * (s.count("(") - s.count(")"))
        if not out or s != out[-1]:  # typing over a closer the editor put changes nothing
            out.append(s)
    return out


def test_a_line_typed_mid_list_keeps_the_statements_after_it():
    """Typing a new layer line in the middle of a long list, key by key (the incomplete
    `activation=` included): every text is an in-place update equal to a fresh analysis,
    and the statements after the line are renumbered, never parsed again (the same nodes),
    their HPO names and the shape witnesses that hold them included."""
    text = program(120)
    a = analyze(text)
    net = a.tree.networks[0]
    at = net.layers[60].end
    after = list(net.layers[63:])  # (the edit may be read as reaching the next line)
    hpo_names = [p.name for p in a.networks[0].space]
    last_shape = a.shapes[0].layers[-1]
    steps = ["\n    ", *("\n    " + s for s in _typed_prefixes('Dense(64, activation="relu")'))]
    for typed in steps:
        new = text[:at] + typed + text[at:]
        assert reanalyze(a, new) is a, typed
        assert_same(a, new)
        assert all(x is y for x, y in zip(net.layers[-len(after):], after, strict=True)), typed
    assert [p.name for p in a.networks[0].space] != hpo_names  # the later ones moved
    # While the line was half typed every later shape was unknown; once it was valid again
    # the later layers' inference was taken back, not run again.
    assert a.shapes[0].layers[-1] is last_shape


def test_renumbering_renames_witnesses_longer_than_the_recursion_limit():
    """Every layer's shape depends on an HPO parameter: the witnesses after the last ones
    hold more than a thousand names, all renamed when a line is typed at the top."""
    body = "\n".join("    Dense(HPO(choice(4, 8)))" for _ in range(1100))
    text = f"network Deep {{\n  input: (8,)\n  layers:\n{body}\n    Output(2)\n  loss: mse\n}}\n"
    a = analyze(text)
    at = text.index("    Dense")
    new = text[:at] + "    Dense(3)\n" + text[at:]
    assert reanalyze(a, new) is a
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)  # (for the dump's == on those witnesses, not the update's)
    try:
        assert_same(a, new)
    finally:
        sys.setrecursionlimit(limit)


def test_the_parameter_count_is_not_summed_again_when_it_becomes_known(monkeypatch):
    """A line typed mid-list makes every later count unknown until it is valid again; then
    the total is moved by the layers re-inferred (a running sum), not summed again over the
    whole network (10,000 layers: ~85 ms at every key that fixed the line)."""
    from compiler import dims

    text = program(400)
    a = analyze(text)
    at = a.tree.networks[0].layers[200].end
    calls = []
    real_add = dims.add

    def counting_add(x, y):
        calls.append(1)
        return real_add(x, y)

    monkeypatch.setattr(dims, "add", counting_add)
    for typed in ["\n    ", *("\n    " + s for s in _typed_prefixes('Dense(64, activation="relu")'))]:
        new = text[:at] + typed + text[at:]
        calls.clear()
        assert reanalyze(a, new) is a, typed
        assert len(calls) < 100, (typed, len(calls))
        assert a.shapes[0].total_params is not None or "relu" not in typed
        assert_same(a, new)


def test_a_line_invalid_again_takes_back_the_unknown_layers():
    """While a line is typed it turns invalid (every later layer unknown) and valid again
    several times: the unknown layers after it are made once and taken back each time (at
    10,000 layers, 5,000 objects made at every such key), and each text still equals a
    fresh analysis."""
    text = program(120)
    a = analyze(text)
    at = a.tree.networks[0].layers[60].end
    unknown_last = []
    for typed in ("\n    " + s for s in _typed_prefixes('Dense(64, activation="relu")')):
        new = text[:at] + typed + text[at:]
        assert reanalyze(a, new) is a, typed
        last = a.shapes[0].layers[-1]
        if last.outputs is None:
            unknown_last.append(last)
        assert_same(a, new)
    assert len(unknown_last) > 5
    assert len({id(x) for x in unknown_last}) == 1
