"""What `check` passes, `compile` builds: every example, and every registry layer with each
value of each enumerated parameter (activations, initializers, paddings, enums, booleans).
Check passes => each backend generates code, or says N701 (a construct it lacks) and `check`
already said N701 naming that backend; the PyTorch module builds and runs a batch (building
the Keras model needs TensorFlow: marked, and small)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from compiler import layers as L
from compiler.analysis import analyze
from compiler.codegen import CodegenError, generate_code

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.neural"))
INPUTS = ["(8,)", "(6, 4)", "(8, 8, 3)", "(4, 4, 4, 2)"]
REQUIRED = {"int": "4", "float": "0.5", "ints": "2", "layer": "Dense(4)", "shape": "(4,)",
            "activation": '"relu"', "padding": '"same"', "bool": "true", "str": '"x"', "any": "1"}
PROGRAM = ('network N {{\n  input: {shape}\n  layers:\n    {layer}\n    Flatten()\n'
           '    Output(2, activation="softmax")\n  loss: "sparse_categorical_crossentropy"\n}}\n')


def _passes(src: str) -> bool:
    return not analyze(src).errors


def _base(spec: L.LayerSpec) -> tuple[str, str] | None:
    """A call of the layer with its required arguments and an input shape check accepts."""
    args = ", ".join(f"{p.name}={REQUIRED[p.kind]}" for p in spec.params if p.required
                     and p.kind in REQUIRED)
    block = " {\n      Dropout(0.5)\n    }" if spec.block == "required" else ""
    call = f"{spec.name}({args}){block}"
    for shape in INPUTS:
        if _passes(PROGRAM.format(shape=shape, layer=call)):
            return shape, call
    return None


def _values(p: L.Param) -> list[str]:
    if p.kind == "enum":
        return [f'"{c}"' for c in p.choices]
    if p.kind == "activation":
        return [f'"{a}"' for a in L.ACTIVATIONS]
    if p.kind == "padding":
        return [f'"{c}"' for c in L.PADDINGS]
    if p.kind == "bool":
        return ["true", "false"]
    return []


def _cases() -> list[tuple[str, str]]:
    out = []
    for name in L.canonical_names():
        spec = L.lookup(name)
        base = _base(spec)
        if base is None:
            continue
        shape, call = base
        out.append((f"{name}", PROGRAM.format(shape=shape, layer=call)))
        for p in spec.params:
            if p.required:
                continue
            for v in _values(p):
                with_arg = call.replace("(", f"({p.name}={v}, ", 1).replace(", )", ")")
                out.append((f"{name}.{p.name}={v}", PROGRAM.format(shape=shape, layer=with_arg)))
    return out


CASES = _cases()


def _build_torch(code: str, name: str) -> None:
    torch = pytest.importorskip("torch")
    m = types.ModuleType(name)
    exec(compile(code, name, "exec"), m.__dict__)
    model = m.build_model().eval()
    with torch.no_grad():
        model(torch.zeros(2, *m.CONFIG["input_shape"]))


def test_most_layers_are_walked():
    walked = {c[0].split(".")[0] for c in CASES}
    assert len(walked) >= 0.7 * len(L.canonical_names()), sorted(set(L.canonical_names()) - walked)
    assert any(c[0].startswith("Dense.kernel_initializer=") for c in CASES)


@pytest.mark.torch
@pytest.mark.parametrize("src", [p.read_text() for p in EXAMPLES] + [c[1] for c in CASES],
                         ids=[p.stem for p in EXAMPLES] + [c[0] for c in CASES])
def test_check_passes_then_both_backends_compile(src):
    a = analyze(src)
    if a.errors:
        return  # check says no: nothing is promised
    for backend in ("tensorflow", "pytorch"):
        try:
            code = generate_code(src, backend)
        except CodegenError as err:  # a construct this backend lacks: N701, nothing else
            assert [d.code for d in err.diagnostics] == ["N701"], err
            # ...which check already reported, naming the backend (#14)
            said = [d.message for d in a.diagnostics if d.code == "N701"]
            assert any(backend in m for m in said), (backend, err, said)
            continue
        if backend == "pytorch":
            _build_torch(code, "gen")


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", ["Dense.kernel_initializer=\"he_normal\"", "Conv2D.padding=\"same\""])
def test_keras_builds(name):
    pytest.importorskip("tensorflow")
    src = dict(CASES)[name]
    m = types.ModuleType("gen")
    exec(compile(generate_code(src, "tensorflow"), "gen", "exec"), m.__dict__)
    m.build_model()


def test_initializers_are_checked_and_applied_by_pytorch():
    """`kernel_initializer="no_such_init"` passed check; Keras failed at run time and
    PyTorch ignored every initializer."""
    bad = analyze(PROGRAM.format(shape="(8,)", layer='Dense(16, kernel_initializer="no_such_init")'))
    assert [d.code for d in bad.errors] == ["N303"]
    src = PROGRAM.format(shape="(8,)", layer='Dense(16, kernel_initializer="he_uniform")')
    code = generate_code(src, "pytorch")
    assert 'nn.init.kaiming_uniform_(self.linear0.weight, nonlinearity="relu")' in code
    assert "kernel_initializer='he_uniform'" in generate_code(src, "tensorflow")


N701_CASES = [  # (layer, input, the backends check names); each passed check silently before
    ('Conv1D(4, 3, data_format="channels_first")', "(8, 3)", {"pytorch", "tensorflow"}),
    ("LSTM(4, recurrent_dropout=0.2)", "(6, 4)", {"pytorch"}),
    ('LSTM(4, activation=HPO(choice("tanh", "relu")))', "(6, 4)", {"pytorch"}),
    ("Bidirectional(GRU(4, return_state=true))", "(6, 4)", {"pytorch"}),
    ('SimpleRNN(4, activation="sigmoid")', "(6, 4)", {"pytorch"}),
    ('TransformerEncoder(num_heads=2, ff_dim=8, activation="tanh")', "(6, 4)", {"pytorch"}),
    ('Dense(4, activation="sparsemax")', "(8,)", {"pytorch"}),
    ("MultiHeadAttention(num_heads=2, key_dim=3)", "(6, 4)", {"pytorch"}),
    # shape-dependent PyTorch refusals, said by the shape rule (they were compile-time only)
    ('AveragePooling1D(pool_size=2, strides=1, padding="same")', "(6, 4)", {"pytorch"}),
    ('AveragePooling2D(pool_size=2, strides=1, padding="same")', "(8, 8, 3)", {"pytorch"}),
    ('AveragePooling3D(pool_size=2, strides=1, padding="same")', "(4, 4, 4, 2)", {"pytorch"}),
    ("BatchNormalization()", "(4, 4, 4, 4, 2)", {"pytorch"}),
    ("BatchNormalization(axis=1)", "(8, 8, 3)", {"pytorch"}),
    ('Conv2DTranspose(4, 2, strides=3, padding="same")', "(8, 8, 3)", {"pytorch"}),
]


@pytest.mark.parametrize("layer,shape,backends", N701_CASES, ids=[c[0] for c in N701_CASES])
def test_check_reports_n701_naming_the_backend(layer, shape, backends):
    """`check` says N701 where compile refuses, a warning naming the backends; compile
    refuses exactly those backends, in the same words when it is one backend."""
    src = PROGRAM.format(shape=shape, layer=layer)
    a = analyze(src)
    n701 = [d for d in a.diagnostics if d.code == "N701"]
    assert len(n701) == 1, a.diagnostics
    assert {b for b in ("pytorch", "tensorflow") if b in n701[0].message} == backends
    assert not n701[0].is_error
    if "HPO(" in layer:  # compile builds the default option ("tanh")
        return
    for backend in ("pytorch", "tensorflow"):
        try:
            generate_code(src, backend)
        except CodegenError as err:
            assert backend in backends and [d.code for d in err.diagnostics] == ["N701"]
            if len(backends) == 1:
                assert err.diagnostics[0].message == n701[0].message
        else:
            assert backend not in backends


@pytest.mark.parametrize("clip", ["clipnorm=1.0", "clipvalue=0.5", "clipnorm=HPO(range(0.5, 2.0))"])
def test_optimizer_clipping_is_n701_for_pytorch_at_check(clip):
    """Adam(clipnorm=...) passed check and PyTorch's compile refused it."""
    src = PROGRAM.format(shape="(8,)", layer="Dense(4)").replace(
        "\n}", f"\n  optimizer: Adam(learning_rate=0.001, {clip})\n}}")
    n701 = [d for d in analyze(src).diagnostics if d.code == "N701"]
    assert len(n701) == 1 and "pytorch" in n701[0].message and "tensorflow" not in n701[0].message
    assert not n701[0].is_error
    if "HPO(" in clip:
        return
    with pytest.raises(CodegenError) as err:
        generate_code(src, "pytorch")
    assert [d.message for d in err.value.diagnostics] == [n701[0].message]
    generate_code(src, "tensorflow")


def test_activations_are_one_table():
    """Every activation check accepts is in the support table, and PyTorch writes out each
    one the table says it builds (Keras takes the name)."""
    from compiler import support
    from compiler.codegen.pytorch import ACTIVATIONS as TORCH

    assert set(support.ACTIVATIONS) == set(L.ACTIVATIONS)
    built = {a for a, b in support.ACTIVATIONS.items() if "pytorch" in b} - {"linear"}
    assert built == set(TORCH)


@pytest.mark.torch
@pytest.mark.parametrize("act", ["celu", "log_sigmoid", "hard_silu", "hard_tanh", "tanh_shrink",
                                 "hard_shrink", "soft_shrink", "squareplus"])
def test_keras_activations_are_mapped_in_pytorch(act):
    """Activations Keras builds by name (newer than the first table) are written out for
    PyTorch, with Keras's defaults, and the module runs."""
    src = PROGRAM.format(shape="(8,)", layer=f'Dense(4, activation="{act}")')
    assert not analyze(src).diagnostics
    _build_torch(generate_code(src, "pytorch"), "gen")
