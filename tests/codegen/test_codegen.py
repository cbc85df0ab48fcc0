"""Code generation: untrusted input stays data, every layer generates or says why not,
and the generated code really trains."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.codegen import CodegenError, generate_code
from compiler.layers import LAYERS
from runner.program import load_program
from tests.codegen.networks import GENERATED

REPO = Path(__file__).resolve().parents[2]


def test_code_injection_through_an_activation_is_a_diagnostic():
    src = ('network N { input: (4,) layers: Dense(2, activation="relu\\"); import os; os.system(\\"x\\"); (\\"") }')
    with pytest.raises(CodegenError) as exc:
        generate_code(src, "pytorch")
    assert [d.code for d in exc.value.diagnostics] == ["N303"]


@pytest.mark.parametrize("backend", ["pytorch", "tensorflow"])
def test_strings_reach_the_code_only_as_literals(tmp_path, backend):
    marker = tmp_path / "pwned"
    evil = f"x'); import os; os.system('touch {marker}'); ('"
    # kernel_initializer is checked against the names both backends build (N303), so the
    # string rides in as a custom option's label instead: it names an option, never code.
    refused = f'network N {{ input: (4,) layers: Dense(2, kernel_initializer="{evil}") Output(2) }}'
    with pytest.raises(CodegenError) as exc:
        generate_code(refused, backend)
    assert [d.code for d in exc.value.diagnostics] == ["N303"]
    src = (f'network N {{ input: (4,) layers: Dense(2, activation=HPO(custom({{"{evil}": "relu"}})))'
           ' Output(2) }')
    code = generate_code(src, backend)
    compile(code, "gen", "exec")  # still valid Python
    assert f"os.system('touch {marker}')\n" not in code
    # Executing the module (definitions only) runs nothing from the string.
    ns: dict = {"__name__": "gen"}
    try:
        exec(compile(code, "gen", "exec"), ns)
    except ImportError:
        pytest.skip(f"{backend} not installed")
    assert not marker.exists()


def test_network_names_that_are_python_keywords_are_safe():
    code = generate_code("network class { input: (4,) layers: Output(2) }", "pytorch")
    compile(code, "gen", "exec")
    assert "class Model(nn.Module)" in code


SAMPLE_INPUT = {"Embedding": "(10,)", "TimeDistributed": "(4, 6, 6, 1)", "Bidirectional": "(5, 3)",
                "SimpleRNN": "(5, 3)", "LSTM": "(5, 3)", "GRU": "(5, 3)", "MultiHeadAttention": "(6, 8)",
                "TransformerEncoder": "(6, 8)", "Conv1D": "(10, 2)", "MaxPooling1D": "(10, 2)",
                "AveragePooling1D": "(10, 2)", "GlobalMaxPooling1D": "(10, 2)",
                "GlobalAveragePooling1D": "(10, 2)", "SpatialDropout1D": "(10, 2)",
                "Conv3D": "(4, 4, 4, 1)", "MaxPooling3D": "(4, 4, 4, 1)", "AveragePooling3D": "(4, 4, 4, 1)",
                "GlobalMaxPooling3D": "(4, 4, 4, 1)", "GlobalAveragePooling3D": "(4, 4, 4, 1)"}
SAMPLE_LAYER = {"Dense": "Dense(3)", "Output": "Output(3)", "Activation": 'Activation("relu")',
                "Reshape": "Reshape((-1,))", "Dropout": "Dropout(0.1)", "SpatialDropout1D": "SpatialDropout1D(0.1)",
                "SpatialDropout2D": "SpatialDropout2D(0.1)", "GaussianNoise": "GaussianNoise(0.1)",
                "Conv1D": "Conv1D(2, 3)", "Conv2D": "Conv2D(2, 3)", "Conv3D": "Conv3D(2, 2)",
                "Conv2DTranspose": "Conv2DTranspose(2, 3)", "DepthwiseConv2D": "DepthwiseConv2D(3)",
                "SeparableConv2D": "SeparableConv2D(2, 3)", "UpSampling2D": "UpSampling2D()",
                "GroupNormalization": "GroupNormalization(groups=1)", "Embedding": "Embedding(20, 4)",
                "SimpleRNN": "SimpleRNN(3)", "LSTM": "LSTM(3)", "GRU": "GRU(3)",
                "Bidirectional": "Bidirectional(LSTM(3))", "TimeDistributed": "TimeDistributed(Flatten())",
                "MultiHeadAttention": "MultiHeadAttention(num_heads=2, key_dim=4)",
                "TransformerEncoder": "TransformerEncoder(num_heads=2, ff_dim=8)",
                "ResidualConnection": "ResidualConnection { Dense(1) }"}


@pytest.mark.parametrize("backend", ["pytorch", "tensorflow"])
def test_every_registry_layer_generates_or_gets_n701(backend):
    outcomes = {}
    for spec in {s.name: s for s in LAYERS.values()}.values():
        if spec.name in ("Add", "Concatenate"):
            continue  # need branches: a shape error (N501) before code generation
        layer = SAMPLE_LAYER.get(spec.name, f"{spec.name}()")
        inp = SAMPLE_INPUT.get(spec.name, "(8, 8, 1)")
        src = f"network N {{ input: {inp} layers: {layer} }}"
        try:
            generate_code(src, backend)
            outcomes[spec.name] = "ok"
        except CodegenError as err:
            assert [d.code for d in err.diagnostics] == ["N701"], (spec.name, err, err.diagnostics)
            outcomes[spec.name] = "N701"
    assert set(outcomes.values()) <= {"ok", "N701"}
    assert len(outcomes) >= 40


def test_unsupported_construct_is_n701_with_range():
    src = "network N { input: (5, 3) layers: LSTM(3, recurrent_dropout=0.2) }"
    with pytest.raises(CodegenError) as exc:
        generate_code(src, "pytorch")
    (d,) = exc.value.diagnostics
    assert d.code == "N701" and src[d.start:d.end] == "LSTM(3, recurrent_dropout=0.2)"
    generate_code(src, "tensorflow")  # Keras has it


@pytest.mark.parametrize("backend,marker", [("pytorch", "torch"), ("tensorflow", "tensorflow")])
def test_training_on_digits_beats_chance(backend, marker):
    pytest.importorskip(marker)
    from runner.run import train

    src = (REPO / "examples" / "digits_mlp_hpo.neural").read_text()
    program = load_program("digits_mlp_hpo.neural", src, values={"layers[1].Dense.units": 64})
    result = train(program, backend, dataset="digits", epochs=4, seed=1, quiet=True, track=False)
    assert result.metrics["val_accuracy"] > 0.6  # chance is 0.1


def test_small_cnn_trains_from_generated_code():
    pytest.importorskip("torch")
    from runner.run import train

    src = GENERATED["residual"].replace("(8, 8, 4)", "(8, 8, 1)").replace('Output(1, "sigmoid")', 'Output(10, "softmax")') \
        .replace("binary_crossentropy", "sparse_categorical_crossentropy").replace("Conv2D(4,", "Conv2D(1,")
    program = load_program("cnn.neural", src)
    result = train(program, "pytorch", dataset="digits", epochs=3, seed=0, quiet=True, track=False)
    assert result.metrics["val_accuracy"] > 0.3


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "runner", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=300)


def test_compile_writes_a_runnable_script(tmp_path):
    out = tmp_path / "model.py"
    r = run_cli("compile", "examples/digits_mlp_hpo.neural", "--backend", "pytorch", "-o", str(out),
                "--set", "layers[1].Dense.units=64")
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stdout
    assert "layers[1].Dense.activation = 'relu'" in r.stderr  # says which values it used
    assert "nn.Linear(64, 64" in out.read_text()
    r = subprocess.run([sys.executable, str(out), "--epochs", "1"], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "val_accuracy" in r.stdout


def test_run_tracks_and_reports_json_progress(tmp_path):
    r = run_cli("run", str(REPO / "examples" / "digits_mlp_hpo.neural"), "--epochs", "2", "--progress-json",
                "--base-dir", str(tmp_path / "store"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert [e["event"] for e in events] == ["epoch", "epoch", "result"]
    assert events[1]["epochs"] == 2 and "val_accuracy" in events[1]["metrics"]
    exp = Path(events[-1]["experiment_dir"])
    metrics = [json.loads(line) for line in (exp / "metrics.jsonl").read_text().splitlines()]
    assert len(metrics) == 2
    hp = json.loads((exp / "hyperparameters.json").read_text())
    assert hp["layers[1].Dense.units"] == 32 and hp["backend"] == "pytorch"


@pytest.mark.parametrize("args,message", [
    (["--set", "nope=1"], "unknown HPO parameter 'nope'"),
    (["--set", "layers[1].Dense.units=100"], "must be one of 32, 64, 128"),
    (["--dataset", "mnist"], "MNIST is not available offline"),
    (["--dataset", "iris"], "iris"),
    (["--backend", "jax"], "invalid choice"),
])
def test_run_errors_are_clear(args, message, tmp_path):
    r = run_cli("run", str(REPO / "examples" / "digits_mlp_hpo.neural"), "--no-track", *args, cwd=tmp_path)
    assert r.returncode != 0
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_neural_run_console_script_is_the_same_command(tmp_path):
    exe = Path(sys.executable).with_name("neural-run")
    if not exe.exists():
        pytest.skip("console scripts not installed")
    r = subprocess.run([str(exe), str(REPO / "examples" / "digits_mlp_hpo.neural"), "--epochs", "1",
                        "--no-track", "--progress-json"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["event"] == "result"
