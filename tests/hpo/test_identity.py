"""The identity of a search (compiler.identity): pure, and the same from the editor's view of
a program as from the runner's search dimensions."""

from __future__ import annotations

import json
import subprocess
import sys

from compiler.analysis import analyze
from compiler.identity import differences, fingerprint, network_identity, space_dimensions
from runner.hpo.search_space import build_dims
from tests.hpo.conftest import TINY


def _net(text: str = TINY):
    a = analyze(text)
    assert not a.errors
    return a, a.networks[0]


def test_runner_dimensions_equal_the_compilers_view():
    a, net = _net()
    assert [d.identity() for d in build_dims(a, net)] == space_dimensions(net)


def test_identity_is_json_and_order_of_dimensions_does_not_matter():
    _, net = _net()
    ident = network_identity(net)
    assert json.loads(json.dumps(ident)) == ident
    assert ident["dataset"] == "digits" and ident["metric"] == "val_loss"
    assert ident["direction"] == "minimize" and ident["backend"] == "pytorch"
    dims = list(reversed(space_dimensions(net)))
    assert fingerprint(network_identity(net, dimensions=dims)) == fingerprint(ident)


def test_edited_choice_values_change_the_fingerprint_and_are_named():
    _, before = _net()
    _, after = _net(TINY.replace("choice(16, 32)", "choice(64, 128)"))
    a, b = network_identity(before), network_identity(after)
    assert fingerprint(a) != fingerprint(b)
    assert differences(a, b) == ["layers[1].Dense.units: choice 16, 32 -> choice 64, 128"]
    assert differences(a, a) == []


def test_dataset_metric_and_backend_are_part_of_the_identity():
    _, net = _net()
    base = network_identity(net)
    for kwargs, word in (({"dataset": "synthetic"}, "dataset"), ({"metric": "val_accuracy"}, "metric"),
                         ({"backend": "tf"}, "backend")):
        other = network_identity(net, **kwargs)
        assert fingerprint(other) != fingerprint(base)
        assert any(line.startswith(word + ":") for line in differences(base, other)), kwargs
    assert network_identity(net, metric="val_accuracy")["direction"] == "maximize"
    assert network_identity(net, backend="torch") == base


FIXED_EDITS = [
    ("Output(10", "Output(12"),  # a fixed layer's argument
    ('Dense(HPO(choice(16, 32)), activation="relu")', 'Dense(HPO(choice(16, 32)), activation="tanh")'),
    ("    Output(10", "    Dense(12)\n    Output(10"),  # a layer added after the searched ones
    ('loss: "sparse_categorical_crossentropy"', 'loss: "categorical_crossentropy"'),
    ("Adam(learning_rate=", "Adam(beta_1=0.8, learning_rate="),
    ("batch_size: 64", "batch_size: 32"),
    ("validation_split: 0.2", "validation_split: 0.3"),
    ("input: (8, 8, 1)", "input: (64,)"),
]


def test_the_network_outside_the_search_is_part_of_the_identity():
    """An edited fixed layer (or loss, optimizer argument, batch size...) trains another model:
    its trials are not comparable with the study's, which used to resume and mix them."""
    _, net = _net()
    base = network_identity(net, dataset="digits")  # (some edits change the default dataset)
    for old, new in FIXED_EDITS:
        assert old in TINY, old
        _, edited = _net(TINY.replace(old, new, 1))
        other = network_identity(edited, dataset="digits")
        assert other["model"] != base["model"], new
        assert differences(base, other) == ["the network outside the search (fixed layers or arguments, "
                                            "loss, optimizer, or train settings)"], new


def test_formatting_comments_and_search_settings_are_not_the_model():
    _, net = _net()
    base = network_identity(net)
    for old, new in [("  layers:", "  # the layers\n  layers:"), ("Output(10, ", "Output( 10 ,"),
                     ("1e-3", "0.001"), ("train { epochs: 2", 'train { trials: 40 search_method: "tpe" epochs: 2'),
                     ("epochs: 2 ", "epochs: 2 seed: 7 pruner: \"median\" ")]:
        assert old in TINY, old
        _, edited = _net(TINY.replace(old, new, 1))
        assert network_identity(edited) == base, new


def test_epochs_are_part_of_the_identity_unless_searched():
    _, net = _net()
    base = network_identity(net)
    assert base["epochs"] == 2
    five = network_identity(net, epochs=5)
    assert differences(base, five) == ["epochs: 2 -> 5"]
    _, searched = _net(TINY.replace("epochs: 2", "epochs: HPO(choice(2, 4))"))
    assert network_identity(searched)["epochs"] == network_identity(searched, epochs=5)["epochs"] == "searched"


def test_identity_imports_no_framework():
    code = ("import sys, compiler.identity as i; heavy = {'torch', 'tensorflow', 'optuna', 'runner'};"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
