"""Every diagnostic code, asserted by code and by the exact text its range covers."""

from __future__ import annotations

import pytest

from compiler.analysis import analyze
from compiler.diagnostics import CODES, Severity
from tests.compiler.helpers import check_code, codes, find, net, text_of

CASES = [
    # code, program, highlighted text
    ("N101", net("Dense(10) $"), "$"),
    ("N102", net("Dense(10, 20 30)"), "30"),
    ("N103", "network T {\n input: (4,)\n layers:\n  Dense(10\n  Dropout(0.5)\n}", "("),
    ("N104", net('Dense(10, "relu)'), '"relu)'),
    ("N105", "network T { input: (4,) layers: Dense(10)", "{"),
    ("N106", net("Dense(" + "(" * 64 + "[" + "(" * 900 + "\n  Dropout(0.5)"), "["),
    ("N201", net("Dense(10)\n    Frobnicate(3)"), "Frobnicate"),
    ("N202", net("Dense(unitz=3)"), "unitz"),
    ("N203", net("Conv2D(kernel_size=3)"), "Conv2D"),
    ("N204", net("Dense(10, units=20)"), "units=20"),
    ("N205", net("Dropout(0.5, 1, 2, 3)"), "2"),
    ("N206", "network T { layers: Dense(10) }", "T"),
    ("N207", "network T { input: (4,) input: (5,) layers: Dense(1) }", "input"),
    ("N208", "network T { input: (4,) layers: loss: \"mse\" }", "layers"),
    ("N209", net("Dense(1)", "  train { epochz: 3 }\n"), "epochz"),
    ("N210", "network T { input: (4,) layers: Dense(1) }\nnetwork T { input: (4,) layers: Dense(1) }", "T"),
    ("N211", net("Flatten()\n    Dense(10) { Dropout(0.1) }"), "{ Dropout(0.1) }"),
    ("N212", net("Dense(units=10, \"relu\")"), '"relu"'),
    ("N213", "network T { input: (4,) layers: a: { Dense(1) } }", "a"),
    ("N301", net('Flatten()\n    Dense("10")'), '"10"'),
    ("N302", net("Dropout(1.5)"), "1.5"),
    ("N303", net('Flatten()\n    Dense(10, activation="rleu")'), '"rleu"'),
    ("N304", net("Flatten()\n    Dense(256.0)"), "256.0"),
    ("N305", net('Lambda("x: x * 2")'), 'Lambda("x: x * 2")'),
    ("N306", net("Dense(1)", input_shape="(0, 4)"), "0"),
    ("N307", net('Dense(1) @ "quantum"'), '"quantum"'),
    ("N308", net("Flatten()\n    Dense(1)", '  loss: "msee"\n'), '"msee"'),
    ("N309", net("Flatten()\n    Dense(1)", "  optimizer: Adamm(learning_rate=0.1)\n"), "Adamm"),
    ("N310", net('Flatten()\n    Output(1, "softmax")', '  loss: "binary_crossentropy"\n'), 'Output(1, "softmax")'),
    ("N311", net("Dense(1) * 0"), "0"),
    ("N312", net("Flatten()\n    Dense(1)", input_shape="(None, 28, 28, 1)"), "None"),
    ("N401", net("Dense(HPO(chioce(1, 2)))"), "chioce"),
    ("N402", net("Dense(HPO(range(10)))"), "HPO(range(10))"),
    ("N403", net("Dense(HPO(range(10, 5)))"), "10, 5"),
    ("N404", net("Dense(HPO(range(10, 100, step=-10)))"), "step=-10"),
    ("N405", net("Flatten()\n    Dense(1)", "  optimizer: Adam(learning_rate=HPO(log_range(0, 1)))\n"), "0"),
    ("N406", net("Dense(HPO(choice()))"), "HPO(choice())"),
    ("N407", net('Dense(HPO(choice(32, "relu")))'), 'HPO(choice(32, "relu"))'),
    ("N408", net("Dense(HPO(HPO(choice(32, 64))))"), "HPO(HPO(choice(32, 64)))"),
    ("N409", net("Flatten()\n    Dense(1)", "  optimizer: SGD(learning_rate=HPO(range(0.0001, 0.1)))\n"),
     "HPO(range(0.0001, 0.1))"),
    ("N410", net("Dense(1)", input_shape="(HPO(choice(4, 8)),)"), "HPO(choice(4, 8))"),
    ("N411", net("Dropout(HPO(range(0.1, 0.5, step=0.3)))"), "step=0.3"),
    ("N501", net("Flatten()\n    Conv2D(8, 3)"), "Conv2D(8, 3)"),
    ("N502", net("Conv2D(8, (30, 30))"), "Conv2D(8, (30, 30))"),
    ("N503", net('ResidualConnection { Conv2D(8, 3, padding="same") }'),
     'ResidualConnection { Conv2D(8, 3, padding="same") }'),
    ("N504", net("Dense(16)"), "Dense(16)"),
    ("N505", net("TransformerEncoder(num_heads=3, ff_dim=8)", input_shape="(10, 64)"),
     "TransformerEncoder(num_heads=3, ff_dim=8)"),
    ("N601", "define ConvBlock { Conv2D(8, 3) }\n" + net("ConvBlok()"), "ConvBlok"),
    ("N602", "define A { B() }\ndefine B { A() }\n" + net("A()"), None),
    ("N603", "define A { Dense(1) }\ndefine A { Dense(2) }\n" + net("A()"), "A"),
    ("N604", "define Dense { Flatten() }\n" + net("Dense()"), "Dense"),
    ("N605", "define A { Flatten() }\n" + net("A(3)"), "(3)"),
]


@pytest.mark.parametrize("code,src,highlighted", CASES, ids=[c[0] for c in CASES])
def test_code_and_range(code, src, highlighted):
    check_code(src, code, highlighted)


def test_every_code_is_tested_or_reserved():
    tested = {c[0] for c in CASES}
    # N701: reported by code generation; N8xx: by the language server from a study
    # (tests/lsp/test_lsp_results.py)
    reserved = {"N701", "N801", "N802"}
    assert set(CODES) - tested - reserved == set()


def test_severity_follows_the_table():
    a = analyze(net("Flatten()\n    Dense(256.0)"))
    assert find(a, "N304").severity == Severity.WARNING
    assert not a.errors


def test_did_you_mean_offers_a_fix():
    a = analyze(net("Flatten()\n    Dens(10)"))
    d = find(a, "N201")
    assert "Dense" in d.message
    assert d.fixes and d.fixes[0].text == "Dense"
    assert a.text[d.fixes[0].start:d.fixes[0].end] == "Dens"


def test_lr_linear_range_fix_rewrites_to_log_range():
    a = analyze(net("Flatten()\n    Dense(1)", "  optimizer: Adam(learning_rate=HPO(range(1e-4, 1e-1)))\n"))
    fix = find(a, "N409").fixes[0]
    assert fix.text == "HPO(log_range(1e-4, 1e-1))"


def test_dense_on_feature_map_suggests_flatten_but_is_valid_keras():
    a = analyze(net("Dense(128)\n    Conv2D(32, (3, 3))"))
    assert "N504" in codes(a) and not a.errors


def test_shape_error_for_some_hpo_values_names_them():
    a = analyze(net('Conv2D(16, HPO(choice((3, 3), (29, 29))), padding=HPO(choice("valid", "same")))'))
    d = find(a, "N502")
    assert "layers[0].Conv2D.kernel_size=(29, 29)" in d.message
    assert 'layers[0].Conv2D.padding="valid"' in d.message


def test_error_inside_a_macro_is_reported_at_the_use_with_related_info():
    src = "define Big { Conv2D(8, (40, 40)) }\n" + net("Big()")
    a = analyze(src)
    d = find(a, "N502")
    assert text_of(a, d) == "Big()"
    assert d.related and a.text[d.related[0].start:d.related[0].end] == "Conv2D(8, (40, 40))"


def test_code_strings_are_never_evaluated(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    src = net(f'Lambda("__import__(\'os\').system(\'touch {marker}\')")')
    a = analyze(src)
    assert "N305" in codes(a)
    assert not marker.exists()


@pytest.mark.parametrize("device", ["auto", "cpu", "cuda", "cuda:1", "mps", "tpu"])
def test_valid_devices(device):
    a = analyze(net(f'Flatten() @ "{device}"', f'  execute {{ device: "{device}" }}\n'))
    assert "N307" not in codes(a)


@pytest.mark.parametrize("entry,code", [
    ("validation_split: 1.1", "N302"),
    ("epochs: -10", "N302"),
    ("batch_size: 0", "N302"),
    ('search_method: "magic"', "N303"),
    ("early_stopping: 3", "N301"),
])
def test_train_values(entry, code):
    a = analyze(net("Flatten()\n    Dense(1)", f"  train {{ {entry} }}\n"))
    assert code in codes(a)


def test_values_alike_are_each_checked_where_written():
    """A plain value that passed a parameter's checks passes them again without being checked
    (100,000 layers hold few distinct values): values equal to it but of another type or
    sign, or given to another layer, are still checked, each where it is written."""
    src = net("Flatten()\n    Dense(16)\n    Dense(16.0)\n    Dense(1)\n    Dense(true)\n"
              "    Dense(16)\n    Dense(16, activation=\"relu\")\n    Dense(16, activation=\"Relu\")\n"
              "    Dropout(0.5)\n    Dropout(1.5)\n    Dropout(HPO(choice(0.5, 1.5)))\n"
              "    Conv1D(4, 3) Conv1D(4, 3.0)")
    a = analyze(src)
    got = [(d.code, text_of(a, d)) for d in a.diagnostics]
    assert ("N304", "16.0") in got
    assert ("N301", "true") in got
    assert [t for c, t in got if c == "N302"] == ["1.5", "1.5"]
    assert not any(t in ('"relu"', '"Relu"') for _c, t in got)
    dense = [layer for layer in a.networks[0].layers if layer.name == "Dense"]
    assert [layer.params.get("activation") for layer in dense[-2:]] == ["relu", "relu"]
