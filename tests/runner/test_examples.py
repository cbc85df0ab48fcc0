"""What a newcomer types: every example trains on data that fits it, `train.dataset` names the
data, generated scripts are ruff-clean and fail on bad data with one line, the tracking example runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compiler.analysis import analyze
from compiler.codegen import compiled_path, generate_code
from compiler.datasets import DATASET_NAMES, default_dataset, fitting

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.neural"))
EXPECTED = {
    "digits_mlp_hpo": "digits",
    "hpo_advanced": "fashion_mnist",
    "lstm_text": "synthetic_sequence",
    "mnist_cnn": "fashion_mnist",
    "residual_macro": "synthetic_classification",
    "transformer": "synthetic_sequence",
}


def _net(text: str):
    a = analyze(text)
    assert not a.errors, [d.message for d in a.errors]
    return a.networks[0]


def test_every_example_trains_on_a_dataset_that_fits_it():
    assert {p.stem for p in EXAMPLES} == set(EXPECTED)
    for path in EXAMPLES:
        net = _net(path.read_text())
        assert default_dataset(net) == EXPECTED[path.stem], path.name


def test_the_automatic_choice_skips_data_whose_classes_or_tokens_do_not_fit():
    base = 'network N {{ input: {shape} layers: {layers} Output({units}, activation="softmax") }}'
    # 4 classes on 8x8x1 images: digits has 10, so it is not offered.
    net = _net(base.format(shape="(8, 8, 1)", layers="Flatten()", units=4))
    assert "digits" not in fitting(net) and default_dataset(net) == "synthetic_classification"
    # Token ids for an Embedding: only the sequence set gives integers.
    net = _net(base.format(shape="(20,)", layers="Embedding(100, 8) GlobalAveragePooling1D()", units=3))
    assert fitting(net) == ["synthetic_sequence"]
    # 3 classes over 4 features: iris.
    assert default_dataset(_net(base.format(shape="(4,)", layers="Dense(8)", units=3))) == "iris"


def test_train_dataset_names_the_data_and_a_typo_is_a_diagnostic():
    ok = 'network N { input: (4,) layers: Output(3, activation="softmax") train { dataset: "wine" } }'
    # wine has 13 features, not 4: the program says so and the run will explain; the name is valid.
    a = analyze(ok)
    assert not a.errors and a.networks[0].train["dataset"] == "wine"
    bad = analyze(ok.replace('"wine"', '"digts"'))
    (d,) = bad.errors
    assert d.code == "N303" and "digits" in d.message
    assert set(DATASET_NAMES) >= {"digits", "synthetic_sequence"}
    searched = analyze(ok.replace('"wine"', 'HPO(choice("wine", "iris"))'))
    assert [d.code for d in searched.errors] == ["N410"]


def test_a_dataset_that_does_not_fit_says_which_do():
    pytest.importorskip("sklearn")
    from runner.program import ProgramError, load_program
    from runner.run import load_data

    text = (REPO / "examples" / "transformer.neural").read_text()
    program = load_program("transformer.neural", text)
    with pytest.raises(ProgramError) as exc:
        load_data(program, "digits", None)
    msg = str(exc.value)  # digits' 64 pixels would reshape to (64,), but they are no token ids
    assert "'digits' does not hold integer token ids below 5000" in msg
    assert "datasets that fit this network: synthetic_sequence" in msg
    ds = load_data(program, None, None, num_samples=64)
    assert ds.name == "synthetic_sequence" and ds.x.shape == (64, 64) and ds.num_classes == 4
    assert ds.x.min() >= 0 and ds.x.max() < 5000 and (ds.x == ds.x.round()).all()


@pytest.mark.torch
@pytest.mark.parametrize("name", ["lstm_text", "transformer"])
def test_token_examples_train_one_epoch(name):
    """The two examples that died before (floats into an Embedding; 10 classes vs 4 units)."""
    pytest.importorskip("torch")
    from runner.program import load_program
    from runner.run import train

    path = REPO / "examples" / f"{name}.neural"
    program = load_program(path, path.read_text())
    result = train(program, "pytorch", epochs=1, quiet=True, track=False, num_samples=128)
    assert result.metrics["val_accuracy"] >= 0.0 and "loss" in result.metrics


def test_generated_scripts_pass_ruff(tmp_path):
    """Every example, both backends: what `neural compile` writes passes the repo's ruff rules,
    plus RUF100 (no `# noqa` that silences nothing)."""
    for path in EXAMPLES:
        for backend in ("pytorch", "tensorflow"):
            (tmp_path / f"{path.stem}_{backend}.py").write_text(generate_code(path.read_text(), backend))
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                        str(REPO / "pyproject.toml"), "--extend-select", "RUF100", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_compile_without_output_writes_a_gitignored_file_ruff_skips(tmp_path):
    """`neural compile FILE` beside the sources must not make the repo's `ruff check .` lint it."""
    out = compiled_path(REPO / "examples" / "mnist_cnn.neural", "tf")
    assert out == REPO / "examples" / "mnist_cnn.tensorflow.py"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(out)], cwd=REPO, timeout=30)
    assert ignored.returncode == 0, f"{out.name} is not gitignored"


@pytest.mark.torch
def test_a_compiled_script_on_a_missing_dataset_prints_one_line(tmp_path):
    pytest.importorskip("torch")
    script = tmp_path / "m.py"
    script.write_text(generate_code((REPO / "examples" / "digits_mlp_hpo.neural").read_text(), "pytorch"))
    r = subprocess.run([sys.executable, str(script), "--dataset", "mnist_typo", "--epochs", "1"],
                       capture_output=True, text=True, timeout=120, cwd=REPO)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("m.py: error: unknown dataset 'mnist_typo'")
    cli = subprocess.run([sys.executable, "-m", "runner", "run", "examples/digits_mlp_hpo.neural",
                          "--dataset", "mnist_typo", "--no-track"], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert cli.stderr.strip().splitlines()[-1].split("error: ", 1)[1] == line.split("error: ", 1)[1]


def test_the_tracking_guide_example_runs(tmp_path):
    pytest.importorskip("matplotlib")
    r = subprocess.run([sys.executable, str(REPO / "examples" / "experiment_tracking_example.py"),
                        "--base-dir", str(tmp_path / "store")], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "4 checkpoint versions" in r.stdout and "verified: True" in r.stdout
    assert "lowest val_loss" in r.stdout
    assert "(HTTP 200)" in r.stdout and "done: 3 experiments" in r.stdout
    assert (tmp_path / "store" / "comparison_report" / "index.html").exists()


def test_comparison_ui_is_importable_from_tracking_without_loading_it_eagerly():
    code = ("import sys, runner.tracking as t; assert 'runner.webui' not in sys.modules; "
            "from runner.tracking import ExperimentComparisonUI; "
            "from runner.webui import ExperimentComparisonUI as E; assert ExperimentComparisonUI is E")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert r.returncode == 0, r.stderr


def test_full_is_an_alias_of_all():
    import tomllib

    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["full"] == ["neural-dsl[all]"]


def test_tensorflow_banners_are_recognised_and_real_errors_kept():
    from runner.training.native_log import is_banner

    for line in ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
                 "I0000 00:00:1796653031.316259   30172 port.cc:153] oneDNN custom operations are on.",
                 "I0000 00:00:1796653031.316673   30172 cudart_stub.cc:31] Could not find cuda drivers",
                 "E0000 00:00:1796653115.227042   30172 cuda_platform.cc:52] failed call to cuInit: "
                 "INTERNAL: CUDA error"):
        assert is_banner(line), line
    assert not is_banner("E0000 00:00:1.2   1 op.cc:1] out of memory")
    assert not is_banner("Traceback (most recent call last):")


@pytest.mark.tensorflow
def test_importing_tensorflow_prints_nothing():
    pytest.importorskip("tensorflow")
    code = ("from runner.training.native_log import quiet_tensorflow\n"
            "with quiet_tensorflow():\n    import keras\n"
            "import tensorflow as tf\ntf.config.list_physical_devices('GPU')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert r.returncode == 0 and r.stderr == "", r.stderr
