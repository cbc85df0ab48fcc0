"""HPO names, kinds, sizes, substitution and rendering."""

from __future__ import annotations

import pytest

from compiler.analysis import analyze
from compiler.render import render
from compiler.syntax import HPO

SRC = '''define Block {
  Conv2D(filters=HPO(choice(8, 16)), kernel_size=3, padding="same")
}
network N {
  input: (28, 28, 1)   # images
  layers:
    Block() * 2
    Flatten()
    Dense(HPO(choice(128, 256)), activation=HPO(choice("relu", "tanh")))
    Dropout(HPO(range(0.3, 0.7, step=0.1)))   # keep this comment
    HPO(choice(Dense(HPO(choice(4, 8))), Dropout(0.5)))
    Output(10, "softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: SGD(learning_rate=ExponentialDecay(HPO(log_range(1e-3, 1e-1)), HPO(choice(500, 1000)), 0.96))
  train { batch_size: HPO(choice(32, 64)) epochs: HPO(range(2, 6)) }
}
'''


@pytest.fixture(scope="module")
def a():
    return analyze(SRC)


def test_stable_names(a):
    names = [p.name for p in a.networks[0].space]
    assert names == [
        "Block.layers[0].Conv2D.filters",
        "layers[2].Dense.units",
        "layers[2].Dense.activation",
        "layers[3].Dropout.rate",
        "layers[4]",
        "layers[4].choice[0].Dense.units",
        "optimizer.SGD.learning_rate.ExponentialDecay[0]",
        "optimizer.SGD.learning_rate.ExponentialDecay[1]",
        "train.batch_size",
        "train.epochs",
    ]
    assert not a.errors


def test_kinds_counts_and_size(a):
    sp = a.networks[0].space
    by = {p.name: p for p in sp}
    assert by["layers[3].Dropout.rate"].values() == [0.3, 0.4, 0.5, 0.6, 0.7]
    assert by["train.epochs"].is_int and by["train.epochs"].count() == 5
    assert by["optimizer.SGD.learning_rate.ExponentialDecay[0]"].count() is None
    assert by["optimizer.SGD.learning_rate.ExponentialDecay[0]"].scale == "log"
    assert by["layers[4]"].count() == 3  # Dense(4), Dense(8), Dropout
    assert sp.size() is None
    assert "continuous" in sp.describe_size()


def test_discrete_space_size():
    a = analyze("network N { input: (4,) layers: Dense(HPO(choice(1, 2, 3))) Dropout(HPO(range(0.1, 0.2, step=0.05))) }")
    assert a.networks[0].space.size() == 9


def test_macro_param_shared_by_every_use(a):
    conv_shapes = a.shapes[0].layers[1].outputs
    assert set(conv_shapes) == {(28, 28, 8), (28, 28, 16)}
    # Both uses of the macro take the same value: 8 then 8, or 16 then 16.
    first, second = a.shapes[0].layers[0], a.shapes[0].layers[1]
    assert len(first.outputs) == 2 and len(second.outputs) == 2


def test_render_changes_only_hpo_text(a):
    sp = a.networks[0].space
    values = {p.name: p.default() for p in sp}
    out = render(SRC, sp, values)
    assert "HPO" not in out
    assert "# keep this comment" in out and "# images" in out
    assert "Dense(128, activation=\"relu\")" in out
    assert "Dense(4)" in out
    b = analyze(out)
    assert not b.errors and len(b.networks[0].space) == 0
    # Text outside HPO expressions is unchanged, character for character.
    hpos = sorted((p.node.start, p.node.end) for p in sp.params if p.parent is None)
    pieces, pos = [], 0
    for s, e in hpos:
        pieces.append(SRC[pos:s])
        pos = e
    pieces.append(SRC[pos:])
    rest = out
    for piece in pieces:
        assert piece in rest
        rest = rest[rest.index(piece) + len(piece):]


def test_round_trip_equals_substitution(a):
    sp = a.networks[0].space
    values = {p.name: (p.values()[-1] if p.values() else p.default()) for p in sp}
    values["layers[4]"] = 1
    out = render(SRC, sp, values)
    b = analyze(out)
    layers = b.networks[0].layers
    assert [layer.name for layer in layers] == ["Conv2D", "Conv2D", "Flatten", "Dense", "Dropout", "Dropout", "Output"]
    assert layers[0].params["filters"] == 16
    assert layers[3].params["units"] == 256 and layers[3].params["activation"] == "tanh"
    assert layers[4].params["rate"] == 0.7
    assert b.networks[0].train["epochs"] == 6 and b.networks[0].train["batch_size"] == 64


def test_public_values_round_trip(a):
    sp = a.networks[0].space
    by = {p.name: p for p in sp}
    p = by["layers[2].Dense.activation"]
    assert p.public_value(1) == "tanh" and p.parse_public("tanh") == 1
    choice = by["layers[4]"]
    assert choice.public_value(1) == "Dropout(0.5)"
    with pytest.raises(ValueError):
        by["layers[3].Dropout.rate"].parse_public(0.35)
    with pytest.raises(ValueError):
        by["layers[2].Dense.units"].parse_public(100)


def test_every_hpo_node_has_a_param(a):
    nodes = []

    def walk(x):
        if isinstance(x, HPO):
            nodes.append(x)
        for attr in ("args", "items", "block", "value", "expr"):
            v = getattr(x, attr, None)
            if isinstance(v, list):
                for y in v:
                    walk(y[3] if isinstance(y, tuple) else y)
            elif v is not None and hasattr(v, "start"):
                walk(v)

    for d in a.tree.defines:
        for s in d.body:
            walk(s)
    for n in a.tree.networks:
        for s in n.layers:
            walk(s)
        walk(n.optimizer)
        for e in n.train:
            walk(e)
    assert len(nodes) == len(a.networks[0].space)


def test_a_space_too_large_to_print_is_described_not_raised():
    # 20,000 two-way choices: 2**20000 has 6,021 digits, past the 4,300 Python will print.
    layers = "\n".join('    Dense(HPO(choice(16, 32)), activation="relu")' for _ in range(20_000))
    text = (f"network Big {{\n  input: (4,)\n  layers:\n{layers}\n    Output(2)\n"
            '  loss: "mse"\n  optimizer: Adam(learning_rate=0.001)\n}\n')
    (net,) = analyze(text).networks
    assert net.space.describe_size() == "about 4.0e6020 configurations"
