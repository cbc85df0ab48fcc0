"""Output shapes and parameter counts of every registry layer, written from Keras's
documented rules (channels last, batch axis left out)."""

from __future__ import annotations

import pytest

from compiler.analysis import analyze
from compiler.layers import LAYERS

# layer text, input shape, expected output shape, expected Keras parameter count
CASES = [
    ("Dense(64)", (20,), (64,), 20 * 64 + 64),
    ("Dense(8, use_bias=false)", (20,), (8,), 160),
    ("Output(10, \"softmax\")", (32,), (10,), 330),
    ("Activation(\"relu\")", (5, 7), (5, 7), 0),
    ("Flatten()", (4, 4, 8), (128,), 0),
    ("Reshape((4, -1))", (8, 8, 1), (4, 16), 0),
    ("Dropout(0.5)", (10,), (10,), 0),
    ("SpatialDropout1D(0.2)", (10, 4), (10, 4), 0),
    ("SpatialDropout2D(0.2)", (8, 8, 3), (8, 8, 3), 0),
    ("GaussianNoise(0.1)", (10,), (10,), 0),
    ("Conv1D(16, 3)", (100, 8), (98, 16), 3 * 8 * 16 + 16),
    ("Conv1D(16, 3, strides=2, padding=\"same\")", (100, 8), (50, 16), 400),
    ("Conv2D(32, (3, 3))", (28, 28, 1), (26, 26, 32), 320),
    ("Conv2D(16, 3, strides=2, padding=\"same\")", (28, 28, 3), (14, 14, 16), 448),
    ("Conv2D(8, (3, 3), dilation_rate=2)", (28, 28, 3), (24, 24, 8), 224),
    ("Conv2D(16, 3, padding=\"same\", data_format=\"channels_first\")", (3, 28, 28), (16, 28, 28), 448),
    ("Conv3D(4, (3, 3, 3))", (10, 10, 10, 2), (8, 8, 8, 4), 27 * 2 * 4 + 4),
    ("Conv2DTranspose(8, (3, 3), strides=2)", (7, 7, 4), (15, 15, 8), 9 * 4 * 8 + 8),
    ("Conv2DTranspose(8, 3, strides=2, padding=\"same\")", (7, 7, 4), (14, 14, 8), 296),
    ("DepthwiseConv2D((3, 3), depth_multiplier=2)", (10, 10, 3), (8, 8, 6), 9 * 6 + 6),
    ("SeparableConv2D(16, (3, 3))", (10, 10, 3), (8, 8, 16), 9 * 3 + 3 * 16 + 16),
    ("MaxPooling1D(2)", (10, 4), (5, 4), 0),
    ("MaxPooling2D((2, 2))", (28, 28, 8), (14, 14, 8), 0),
    ("MaxPooling2D((3, 3), 2, \"valid\")", (28, 28, 8), (13, 13, 8), 0),
    ("MaxPooling2D((2, 2), padding=\"same\")", (5, 5, 1), (3, 3, 1), 0),
    ("MaxPooling3D(2)", (8, 8, 8, 1), (4, 4, 4, 1), 0),
    ("AveragePooling1D(3)", (9, 2), (3, 2), 0),
    ("AveragePooling2D((2, 2))", (9, 9, 2), (4, 4, 2), 0),
    ("AveragePooling3D(2)", (4, 4, 4, 3), (2, 2, 2, 3), 0),
    ("GlobalMaxPooling1D()", (10, 6), (6,), 0),
    ("GlobalMaxPooling2D()", (7, 7, 32), (32,), 0),
    ("GlobalMaxPooling3D()", (3, 3, 3, 5), (5,), 0),
    ("GlobalAveragePooling1D()", (10, 6), (6,), 0),
    ("GlobalAveragePooling2D(keepdims=true)", (7, 7, 32), (1, 1, 32), 0),
    ("GlobalAveragePooling3D()", (3, 3, 3, 5), (5,), 0),
    ("UpSampling2D((2, 2))", (7, 7, 3), (14, 14, 3), 0),
    ("BatchNormalization()", (10, 10, 16), (10, 10, 16), 64),
    ("LayerNormalization()", (10, 16), (10, 16), 32),
    ("GroupNormalization(groups=4)", (8, 8, 16), (8, 8, 16), 32),
    ("Embedding(1000, 64)", (20,), (20, 64), 64000),
    ("SimpleRNN(32)", (10, 8), (32,), 32 * (8 + 32) + 32),
    ("LSTM(64, return_sequences=true)", (10, 8), (10, 64), 4 * 64 * (8 + 64 + 1)),
    ("GRU(16)", (5, 4), (16,), 3 * 16 * (4 + 16 + 2)),
    ("Bidirectional(LSTM(32))", (10, 8), (64,), 2 * 4 * 32 * (8 + 32 + 1)),
    ("TimeDistributed(Dense(10))", (5, 8), (5, 10), 90),
    ("MultiHeadAttention(num_heads=2, key_dim=8)", (10, 16), (10, 16), 3 * (16 * 16 + 16) + (16 * 16 + 16)),
    ("TransformerEncoder(num_heads=4, ff_dim=128)", (10, 64),
     (10, 64), (4 * 64 * 64 + 4 * 64) + (64 * 128 + 128 + 128 * 64 + 64) + 4 * 64),
    ("ResidualConnection { Dense(16) Dense(16) }", (16,), (16,), 2 * (16 * 16 + 16)),
]


@pytest.mark.parametrize("layer,inp,out,params", CASES, ids=[c[0] for c in CASES])
def test_shape_and_count(layer, inp, out, params):
    shape = "(" + ", ".join(map(str, inp)) + ("," if len(inp) == 1 else "") + ")"
    a = analyze(f"network T {{ input: {shape} layers: {layer} }}")
    assert not a.errors, [(d.code, d.message) for d in a.errors]
    ls = a.shapes[0].layers[0]
    assert list(ls.outputs) == [out]
    assert ls.params == params


def test_every_registry_layer_is_covered():
    covered = {c[0].split("(")[0].split(" ")[0].lower() for c in CASES}
    covered |= {"add", "concatenate"}  # merge layers: see test_merge_layers_need_branches
    names = {s.name.lower() for s in LAYERS.values()}
    assert names - covered == set()


def test_merge_layers_need_branches():
    a = analyze("network T { input: (4,) layers: Add() }")
    assert [d.code for d in a.errors] == ["N501"]


def test_transformer_heads_must_divide_features_only_for_some_values():
    a = analyze("network T { input: (10, 64) layers: TransformerEncoder(num_heads=HPO(choice(4, 6)), ff_dim=32) }")
    (d,) = a.errors
    assert d.code == "N505" and "num_heads=6" in d.message


def test_wide_int_range_gives_a_span_dimension():
    a = analyze("network T { input: (8,) layers: Dense(HPO(range(10, 1000))) Dense(4) }")
    first = a.shapes[0].layers[0]
    (shape,) = first.outputs
    assert str(shape[0]) == "10..1000"
    assert a.shapes[0].layers[1].params.lo == 10 * 4 + 4
    assert a.shapes[0].layers[1].params.hi == 1000 * 4 + 4


def test_none_in_the_input_is_a_dimension_of_variable_size():
    # `input: (None, 8)`: sequences of any length, 8 features each (Keras's
    # Input(shape=(None, 8)); DSL.md: input shapes leave out the batch). The None was read as
    # a batch axis and dropped: the LSTM saw (8,) and failed.
    a = analyze("network T { input: (None, 8) layers: LSTM(16, return_sequences=true) LSTM(4) }")
    assert a.networks[0].inputs == [(None, 8)]
    assert [list(ls.outputs) for ls in a.shapes[0].layers] == [[(None, 16)], [(4,)]]
    assert not a.diagnostics, [(d.code, d.message) for d in a.diagnostics]


def test_a_leading_none_that_looks_like_the_batch_is_kept_and_flagged():
    # (None, 28, 28, 1) for a Conv2D: probably a batch axis. It stays a dimension (Keras
    # would refuse the 4-D input too), the warning says so and offers to remove it.
    a = analyze("network T { input: (None, 28, 28, 1) layers: Conv2D(8, 3) }")
    assert a.networks[0].inputs == [(None, 28, 28, 1)]
    warn = next(d for d in a.diagnostics if d.code == "N312")
    assert a.text[warn.start:warn.end] == "None" and "variable size" in warn.message
    assert warn.fixes and warn.fixes[0].text == ""
    assert [d.code for d in a.errors] == ["N501"]
