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


def test_identity_imports_no_framework():
    code = ("import sys, compiler.identity as i; heavy = {'torch', 'tensorflow', 'optuna', 'runner'};"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
