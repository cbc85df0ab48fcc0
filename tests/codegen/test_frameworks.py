"""Shapes and parameter counts of the generated code, in the real frameworks, equal what
the compiler infers, layer by layer (PyTorch and Keras)."""

from __future__ import annotations

import re
import types

import pytest

from compiler.analysis import analyze
from compiler.codegen import generate_code
from compiler.codegen.pytorch import EXTRA_PARAMS
from compiler.model import LayerIR
from tests.codegen.networks import programs

PROGRAMS = programs()
MARK = re.compile(r"^(\s*)# (\d+): \S+ \S+ -> .*?(?: \[(first|last)\])?$", re.M)


def _instrument(code: str) -> str:
    """Record x after every DSL layer (the generator marks each with a comment)."""
    def repl(m: re.Match) -> str:
        indent, _i, layout = m.group(1), m.group(2), m.group(3)
        conv = "x.movedim(1, -1)" if layout == "first" else "x"
        return f"{indent}_TRACE.append({conv})"
    return MARK.sub(repl, code)


def _load(code: str, name: str) -> types.ModuleType:
    m = types.ModuleType(name)
    m._TRACE = []
    exec(compile(_instrument(code), name, "exec"), m.__dict__)
    return m


def _expected(src: str):
    a = analyze(src)
    assert not a.errors, [(d.code, d.message) for d in a.errors]
    net = a.networks[0]
    if net.space and len(net.space):
        from compiler.render import render
        a = analyze(render(src, net.space, net.space.defaults()))
    sh = a.shapes[0]
    shapes = [next(iter(ls.outputs)) for ls in sh.layers]
    return a, shapes, sh.total_params


def _torch_extra(layers: list[LayerIR]) -> int:
    extra = 0
    for layer in layers:
        p = layer.full_params()
        inner = p.get("layer")
        if isinstance(inner, LayerIR) and inner.spec is not None and layer.spec.name == "Bidirectional":
            extra += 2 * EXTRA_PARAMS.get(inner.spec.name, lambda q: 0)(inner.full_params())
        elif layer.spec is not None:
            extra += EXTRA_PARAMS.get(layer.spec.name, lambda q: 0)(p)
        if layer.children:
            extra += _torch_extra(layer.children)
    return extra


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_pytorch_shapes_and_counts(name):
    torch = pytest.importorskip("torch")
    src = PROGRAMS[name]
    a, shapes, total = _expected(src)
    m = _load(generate_code(src, "pytorch"), f"gen_{name}")
    model = m.build_model().eval()
    x = torch.rand(2, *m.CONFIG["input_shape"])
    if any(layer.name == "Embedding" for layer in a.networks[0].layers):
        x = torch.randint(0, 50, (2, *m.CONFIG["input_shape"])).float()
    with torch.no_grad():
        model(x)
    got = [tuple(t.shape[1:]) for t in m._TRACE]
    assert got == shapes
    n = sum(p.numel() for p in model.parameters())
    n += sum(b.numel() for k, b in model.named_buffers() if not k.endswith("num_batches_tracked"))
    assert n == total + _torch_extra(a.networks[0].layers)


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_keras_shapes_and_counts(name):
    pytest.importorskip("tensorflow")
    src = PROGRAMS[name]
    _a, shapes, total = _expected(src)
    m = _load(generate_code(src, "tensorflow"), f"gen_{name}")
    model = m.build_model()
    got = [tuple(t.shape[1:]) for t in m._TRACE]
    assert got == shapes
    assert model.count_params() == total
