"""`neural check` and `neural shapes` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.render import substitute
from runner.cli import main

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=60)


def test_check_prints_compiler_style_lines_and_fails_on_errors(tmp_path):
    f = tmp_path / "bad.neural"
    f.write_text('network N {\n  input: (4,)\n  layers:\n    Dense(256.0)\n    Dropout(1.5)\n}\n')
    r = run("check", str(f))
    assert r.returncode == 1
    lines = r.stdout.strip().splitlines()
    assert lines[0] == f"{f}:4:11: warning N304: units is an integer: 256.0 is read as 256"
    assert lines[1].startswith(f"{f}:5:13: error N302:")


def test_check_json(tmp_path, capsys):
    f = tmp_path / "x.neural"
    f.write_text("network N { input: (4,) layers: Dense(HPO(range(10, 5))) }")
    assert main(["check", str(f), "--format", "json"]) == 1
    (rec,) = json.loads(capsys.readouterr().out)
    assert rec == {"file": str(f), "line": 1, "column": 49, "end_line": 1, "end_column": 54,
                   "severity": "error", "code": "N403",
                   "message": "the lower bound 10 must be below the upper bound 5"}


def test_check_clean_examples_exit_zero():
    r = run("check", *sorted(str(p) for p in (REPO / "examples").glob("*.neural")))
    assert r.returncode == 0, r.stdout
    assert r.stdout == ""


@pytest.mark.parametrize("make,expected", [
    (lambda d: d / "missing.neural", "no such file"),
    (lambda d: d, "is a directory"),
    (lambda d: (d / "bin.neural").write_bytes(b"\xff\xfe\x00network") and d / "bin.neural", "not UTF-8"),
    (lambda d: (d / "empty.neural").write_text("  \n") and d / "empty.neural", "empty"),
])
def test_bad_files_get_one_clear_line(tmp_path, make, expected):
    path = make(tmp_path)
    for cmd in (["check", str(path)], ["shapes", str(path)]):
        r = run(*cmd)
        assert r.returncode != 0
        assert expected in r.stderr
        assert "Traceback" not in r.stderr
        assert "checked" not in r.stderr  # no "1 file checked: 0 errors" after the error


def test_check_counts_only_the_files_it_read(tmp_path):
    good = tmp_path / "ok.neural"
    good.write_text("network N { input: (4,) layers: Dense(2) }")
    r = run("check", str(good), str(tmp_path / "missing.neural"))
    assert r.returncode == 1
    assert "no such file" in r.stderr
    assert "1 file checked (1 could not be read): 0 errors, 0 warnings" in r.stderr


def test_shapes_json():
    r = run("shapes", "examples/hpo_advanced.neural", "--format", "json")
    assert r.returncode == 0, r.stderr
    (net,) = json.loads(r.stdout)
    assert net["network"] == "AdvancedHPOExample"
    first = net["layers"][0]
    assert first["name"] == "Conv2D" and first["line"] == 6
    assert sorted(first["output_shapes"]) == sorted(
        [[28, 28, 32], [28, 28, 64], [26, 26, 32], [26, 26, 64], [24, 24, 32], [24, 24, 64]])
    assert net["layers"][-1]["output_shapes"] == [[10]]
    assert net["input"] == [[28, 28, 1]]
    names = [p["name"] for p in net["hpo"]]
    assert "optimizer.Adam.learning_rate.ExponentialDecay[1]" in names
    assert net["space_size"] is None


def test_shapes_table_and_unknown_network():
    r = run("shapes", "examples/mnist_cnn.neural")
    assert r.returncode == 0 and "225,034" in r.stdout
    assert "(26, 26, 32)" in r.stdout


def test_shapes_table_keeps_long_hpo_names_when_piped():
    r = run("shapes", "examples/hpo_advanced.neural")  # stdout is a pipe, not a terminal
    assert r.returncode == 0, r.stderr
    assert "optimizer.Adam.learning_rate.ExponentialDecay[1]" in r.stdout
    assert "…" not in r.stdout
    r = run("shapes", "examples/mnist_cnn.neural", "--network", "Nope")
    assert r.returncode == 2 and "no network named 'Nope'" in r.stderr


def test_substitute_gives_a_concrete_validated_program():
    text = (REPO / "examples" / "digits_mlp_hpo.neural").read_text()
    out, a = substitute(text, {"layers[1].Dense.units": 128, "layers[1].Dense.activation": "tanh"})
    assert "HPO(" not in out and not a.errors
    dense = a.networks[0].layers[1]
    assert dense.params == {"units": 128, "activation": "tanh"}
    with pytest.raises(ValueError):
        substitute(text, {"layers[1].Dense.units": 100})
    with pytest.raises(KeyError):
        substitute(text, {"nope": 1})


def test_shapes_json_of_a_space_too_large_to_write_as_a_number(tmp_path, capsys):
    # 500 ranges of 10**9 integers: 10**4500 configurations, more digits than Python writes
    # (or reads back) as an int; `neural shapes --format json` raised ValueError on it.
    f = tmp_path / "huge.neural"
    body = "\n".join("    Dense(HPO(range(1, 1000000000)))" for _ in range(500))
    f.write_text(f"network Huge {{\n  input: (8,)\n  layers:\n{body}\n    Output(10)\n}}\n")
    assert main(["shapes", str(f), "--format", "json"]) == 0
    (net,) = json.loads(capsys.readouterr().out)
    assert net["space_size"] is None and net["space"] == "about 1.0e4500 configurations"
    assert net["hpo"][0]["values"] == 10**9
    assert net["layers"][1]["output_shapes"] == [[{"min": 1, "max": 10**9}]]


def test_shapes_json_keeps_a_variable_input_dimension(tmp_path, capsys):
    f = tmp_path / "seq.neural"
    f.write_text("network Seq { input: (None, 8) layers: LSTM(16) Dense(2) }")
    assert main(["shapes", str(f), "--format", "json"]) == 0
    (net,) = json.loads(capsys.readouterr().out)
    assert net["input"] == [[None, 8]]
    assert [layer["output_shapes"] for layer in net["layers"]] == [[[16]], [[2]]]


def test_shapes_reports_a_block_error_once(tmp_path):
    """A layer in a block after an HPO choice met each of the choice's shapes and said the
    same N501 once per shape (`neural shapes` printed it twice)."""
    path = tmp_path / "block.neural"
    path.write_text("network T {\n  input: (28, 28, 1)\n  layers:\n    Flatten()\n"
                    "    Dense(HPO(choice(8, 16)))\n    ResidualConnection {\n      Conv2D(8, 3)\n"
                    "    }\n    Output(10)\n}\n")
    r = run("shapes", str(path))
    assert r.returncode == 1
    assert [line for line in r.stderr.splitlines() if "N501" in line] == [
        f"{path}:7:7: error N501: Conv2D expects a 3-D input (height, width, channels), "
        "but its input is (8,)"]


# Alike but not equal: options equal as numbers but written apart (1 == 1.0 == True,
# -0.0 == 0.0), options written as code, the same shapes after other inputs, spans, macros.
ALIKE = """define Blk {
  Dense(HPO(choice(8, 16)))
}
network A {
  input: (None, 8)
  layers:
    Dense(HPO(custom({"small": {"units": 16}, "large": {"units": 64}})))
    Dense(HPO(range(10, 1000)))
    Dense(HPO(range(10, 1000)))
    HPO(choice(Dense(12), Dropout(0.2)))
    Blk
    Blk
    Dropout(HPO(choice(0.0, -0.0)))
    Dropout(HPO(choice(-0.0, 0.0)))
    Dropout(HPO(range(0.1, 0.5, step=0.1)))
    Dropout(HPO(range(0.1, 0.5)))
    Dense(HPO(choice(16, HPO(choice(32, 64)))))
    Dense(HPO(choice(16, HPO(choice(32, 64)))))
    Dense(16, activation=HPO(choice("relu", "tanh")))
    Dense(16, use_bias=HPO(choice(true, false)))
    Output(10, "softmax")
  optimizer: Adam(learning_rate=HPO(log_range(1e-4, 1e-2)))
}
network B {
  input: (28, 28, 1)
  layers:
    Conv2D(8, HPO(choice((3,3), (5, 5))))
    Conv2D(8, HPO(choice((3, 3), (5,5))))
    Flatten()
    Dense(HPO(choice(8, 16))) Dense(HPO(choice(8, 16)))
}
"""


def test_shapes_json_is_the_records_dumped_one_per_line(tmp_path, capsys):
    """The document is written field by field with what is shared between records written
    once: it must be what json.dumps writes for each record."""
    from runner.cli.check import json_document

    f = tmp_path / "alike.neural"
    f.write_text(ALIKE)
    assert main(["shapes", str(f), "--format", "json"]) == 0
    out = capsys.readouterr().out
    records = json.loads(out)
    lines = [json.dumps(x) for net in records for x in (*net["layers"], *net["hpo"])]
    assert [line.strip().rstrip(",") for line in out.splitlines() if line.startswith("      {")] == lines
    assert json_document(records) + "\n" == out


def test_shapes_describes_alike_parameters_each_as_written(tmp_path, capsys):
    f = tmp_path / "alike.neural"
    f.write_text(ALIKE)
    assert main(["shapes", str(f), "--format", "json"]) == 0
    a, b = json.loads(capsys.readouterr().out)
    hpo = {p["name"]: p for p in a["hpo"] + b["hpo"]}
    assert hpo["layers[6].Dropout.rate"]["description"] == "choice of 0.0, -0.0 (2 values)"
    assert hpo["layers[7].Dropout.rate"]["description"] == "choice of -0.0, 0.0 (2 values)"
    assert hpo["layers[8].Dropout.rate"]["step"] == 0.1
    assert hpo["layers[9].Dropout.rate"]["step"] is None
    assert hpo["layers[0].Conv2D.kernel_size"]["options"] == ["(3,3)", "(5, 5)"]
    assert hpo["layers[1].Conv2D.kernel_size"]["options"] == ["(3, 3)", "(5,5)"]
    assert hpo["layers[13].Dense.use_bias"]["options"] == [True, False]
    assert a["layers"][1]["params"] == {"min": 170, "max": 65000}
    assert a["layers"][2]["params"] == {"min": 110, "max": 1001000}
    assert [x["line"] for x in a["layers"][4:6]] == [11, 12]
    assert b["layers"][3]["params"] != b["layers"][4]["params"]
