"""Every construct of DSL.md parses, with exact source ranges; recovery keeps going."""

from __future__ import annotations

from compiler.analysis import analyze
from compiler.lexer import tokenize
from compiler.parser import parse
from compiler.syntax import HPO, Call, Const, DictV, Ident, ListV, Num, Str, TupleV

FULL = '''// a comment
define ConvBlock {
  Conv2D(filters=32, kernel_size=(3,3), padding="same", activation="relu")
  BatchNormalization()
}

network MNISTClassifier {
  input: (28, 28, 1)
  layers:
    ConvBlock() * 2             # macro use, repeated
    MaxPooling2D(pool_size: (2,2)) @ "cuda:0"
    Flatten()
    dense(HPO(choice(128, 256)), activation="relu")
    Dropout(HPO(range(0.3, 0.7, step=0.1)))
    TimeDistributed(Dense(10)) * 1
    HPO(choice(Dense(64), Dropout(0.5)))
    ResidualConnection { Dense(64) }
    Output(10, activation='softmax');
  loss: sparse_categorical_crossentropy
  optimizer: SGD(learning_rate=ExponentialDecay(HPO(range(0.05, 0.2, step=0.05)), 1000, 0.96), momentum=0.9)
  metrics: ["accuracy"]
  train {
    epochs: 10
    batch_size: HPO(choice(32, 64, 128))
    validation_split: .2
    early_stopping: True
    min_delta: 1e-3
  }
  execute { device: "auto" }
  batch_size: 16
}
network Second { input: (10,), (5,) layers: Dense(-3) Dense(2.5E3) }
'''


def test_every_construct_parses_without_syntax_errors():
    tree, diags = parse(FULL)
    assert diags == []
    assert [d.name for d in tree.defines] == ["ConvBlock"]
    n = tree.networks[0]
    assert [s.expr.name if isinstance(s.expr, Call) else "HPO" for s in n.layers] == [
        "ConvBlock", "MaxPooling2D", "Flatten", "dense", "Dropout", "TimeDistributed", "HPO",
        "ResidualConnection", "Output"]
    assert n.layers[0].repeat.value == 2
    assert n.layers[1].device.value == "cuda:0"
    assert n.layers[1].expr.args[0].name == "pool_size"
    assert isinstance(n.loss, Ident)
    assert [e.key for e in n.train] == ["epochs", "batch_size", "validation_split", "early_stopping",
                                         "min_delta", "batch_size"]
    assert isinstance(n.train[3].value, Const) and n.train[3].value.value is True
    assert n.execute[0].key == "device"
    second = tree.networks[1]
    assert len(second.inputs) == 2
    assert second.layers[0].expr.args[0].value.value == -3
    assert second.layers[1].expr.args[0].value.value == 2500.0


def test_ranges_cover_exact_text():
    tree, _ = parse(FULL)
    n = tree.networks[0]
    dense = n.layers[3].expr
    assert FULL[dense.name_start:dense.name_end] == "dense"
    hpo = dense.args[0].value
    assert isinstance(hpo, HPO) and FULL[hpo.start:hpo.end] == "HPO(choice(128, 256))"
    assert FULL[hpo.kind_start:hpo.kind_end] == "choice"
    arg = dense.args[1]
    assert FULL[arg.start:arg.end] == 'activation="relu"'
    assert FULL[n.name_start:n.name_end] == "MNISTClassifier"
    e = n.train[1]
    assert FULL[e.start:e.end] == "batch_size: HPO(choice(32, 64, 128))"
    stmt = n.layers[0]
    assert FULL[stmt.start:stmt.end] == "ConvBlock() * 2"


def test_value_kinds():
    tree, diags = parse('network N { input: (1,) layers: X(1, -2.5, "s", true, none, (1, 2), [1, [2]], '
                        '{"a": 1, b: 2}, f(1), y) }')
    assert diags == []
    args = [a.value for a in tree.networks[0].layers[0].expr.args]
    kinds = [type(v) for v in args]
    assert kinds == [Num, Num, Str, Const, Const, TupleV, ListV, DictV, Call, Ident]


def test_layer_names_are_case_insensitive():
    a = analyze("network N { input: (8,) layers: DENSE(4) dense(2) }")
    assert [layer.name for layer in a.networks[0].layers] == ["Dense", "Dense"]
    assert not a.errors


def test_several_syntax_errors_in_one_pass_and_intact_layers_keep_shapes():
    src = """network N {
  input: (28, 28, 1)
  layers:
    Conv2D(8, (3, 3)
    MaxPooling2D((2, 2))
    Flatten(]
    Dense(10, $)
    Output(10)
}"""
    a = analyze(src)
    syntax = [d for d in a.diagnostics if d.code.startswith("N1")]
    assert len(syntax) >= 3
    lines = sorted({a.index.position(d.start).line for d in syntax})
    assert lines[:3] == [3, 5, 6]
    names = [layer.name for layer in a.networks[0].layers]
    assert names[:2] == ["Conv2D", "MaxPooling2D"] and "Output" in names
    shapes = a.shapes[0].layers
    assert list(shapes[1].outputs) == [(13, 13, 8)]


def test_unclosed_network_reports_end_of_input():
    a = analyze("network N { input: (4,) layers: Dense(1)")
    assert [d.code for d in a.diagnostics] == ["N105"]


def test_repeated_lines_have_their_own_offsets_comments_and_diagnostics():
    """A line met again takes the tokens of its first time (tokenize): moved to where it is,
    with its comments, and a line with a diagnostic still says it at each occurrence."""
    lines = ["    Dense(HPO(choice(16, 32)))  # searched", "    Dropout(0.5) \u2603 x", "",
             '    Dense(8, activation="re', "  // note"] * 30
    text = "\n".join(lines) + "\n"
    toks = tokenize(text)
    expected = {f: [] for f in ("kinds", "texts", "starts", "ends", "bol", "cols", "comments")}
    diags, pos = [], 0
    for line in lines:  # each line alone: a text of one line is scanned in one go
        one = tokenize(text, pos, pos + len(line))
        for f, got in expected.items():
            got += getattr(one, f)[:-1] if f != "comments" else one.comments
        diags += [(d.code, d.start, d.end) for d in one.diagnostics]
        pos += len(line) + 1
    for f, want in expected.items():
        assert getattr(toks, f)[:-1 if f != "comments" else None] == want, f
    assert [(d.code, d.start, d.end) for d in toks.diagnostics] == diags
    assert len(diags) == 60  # N101 and N104 on each of their 30 lines
