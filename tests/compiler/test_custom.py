"""`HPO(custom({...}))` with dictionary options (HPO guide's form): a dict standing as a layer's first
argument gives that layer's named arguments; each option is checked as such, so what check
passes renders (and compiles) for every option, and nothing downstream hashes a dict."""

from __future__ import annotations

import pytest

from compiler.analysis import analyze
from compiler.render import render
from tests.compiler.helpers import codes, find, net, text_of

SEED_004 = ('Dense(HPO(custom({"option1": {"value1": 10, "value2": 20}, '
            '"option2": {"value1": 30, "value2": 40}})))')
DSL_MD = 'Dense(HPO(custom({"small": {"units": 64, "rate": 0.2}, "large": {"units": 256, "rate": 0.5}})))'


def rendered(src: str) -> list[str]:
    """The program for every option of every parameter (the others at their defaults)."""
    a = analyze(src)
    space = a.networks[0].space
    return [render(src, space, {**space.defaults(), p.name: v})
            for p in space for v in range(len(p.options))]


@pytest.mark.parametrize("layer,code,highlighted", [
    (SEED_004, "N202", '"value1"'),
    (SEED_004, "N203", '"option1"'),
    ('Dropout(HPO(custom({"option1": {"value1": 10}})))', "N202", '"value1"'),
    ('Dropout(HPO(custom({"option1": {"value1": 10}})))', "N203", '"option1"'),
    (DSL_MD, "N202", '"rate"'),
    ('Dense(HPO(custom({"a": {"units": 16}})), units=3)', "N204", '"units"'),
    ('Dense(HPO(custom({"a": {"units": 16}})), "relu")', "N212", '"relu"'),
    ('Dense(HPO(custom({"a": {"units": 16.5}})))', "N301", "16.5"),
    ('Dense(HPO(custom({"a": {"units": 16, "activation": "nope"}})))', "N303", '"nope"'),
    ('Dense(HPO(custom({"a": {}, "b": {"units": 4}})))', "N402", '"a"'),
    ('Dense(8, activation=HPO(custom({"a": {"x": 1}})))', "N301", '{"x": 1}'),
])
def test_each_option_is_checked_as_the_layers_arguments(layer, code, highlighted):
    """These passed `check` and failed in compile or run (N301, N202, N203 there)."""
    a = analyze(net(layer, input_shape="(8,)"))
    d = find(a, code)
    assert text_of(a, d) == highlighted, d.message


@pytest.mark.parametrize("layer,shapes", [
    ('Dense(HPO(custom({"a": {"units": 16}, "b": {"units": 32}})), activation="relu")',
     [(16,), (32,)]),
    ('Dense(HPO(custom({"s": {"units": HPO(choice(8, 16)), "activation": "tanh"}, '
     '"l": {"units": 256}})))', [(8,), (16,), (256,)]),
    ('Conv2D(HPO(custom({"a": {"filters": 4, "kernel_size": 3}, '
     '"b": {"filters": 8, "kernel_size": 5, "padding": "same"}})))', [(6, 6, 4), (8, 8, 8)]),
])
def test_passing_options_render_to_passing_programs(layer, shapes):
    src = net(layer, input_shape="(8, 8, 1)" if "Conv" in layer else "(8,)")
    a = analyze(src)
    assert a.errors == [], [d.message for d in a.errors]
    assert sorted(a.shapes[0].layers[0].outputs) == shapes  # every option's own arguments
    for out in rendered(src):
        again = analyze(out)
        assert again.errors == [], (out, [d.message for d in again.errors])
        assert "HPO(custom" not in out


def test_dicts_never_reach_a_hash():
    """The HPO guide's exact form gave `TypeError: unhashable type: 'dict'` from the shapes."""
    a = analyze(net(SEED_004, input_shape="(8,)"))
    assert "N202" in codes(a)
    assert a.networks[0].space.params[0].name == "layers[0].Dense.units"
    assert a.networks[0].space.params[0].describe().startswith("custom: option1, option2")


def test_a_run_of_invalid_characters_is_one_diagnostic():
    a = analyze(net('Dense(4) ' + "😀" * 1000 + " $ é"))
    assert codes(a).count("N101") == 1
    assert text_of(a, find(a, "N101")) == "😀" * 1000 + " $ é"
