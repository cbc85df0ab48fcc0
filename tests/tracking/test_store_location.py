"""The experiment store has one home (compiler/store.py): every command and API that records
or reads experiments takes --base-dir / base_dir, else $NEURAL_EXPERIMENTS_DIR, else
./neural_experiments; and no other module spells the folder or the variable."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.store import DEFAULT_STORE, STORE_ENV, store_dir

ROOT = Path(__file__).resolve().parents[2]
TINY = """network Tiny {
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(HPO(choice(8, 16)), activation="relu")
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=0.01)
  train { epochs: 1 batch_size: 64 validation_split: 0.2 }
}
"""


def test_the_default_store_and_its_variable():
    assert (DEFAULT_STORE, STORE_ENV) == ("neural_experiments", "NEURAL_EXPERIMENTS_DIR")  # as documented
    assert store_dir(None, {}) == "neural_experiments"
    assert store_dir(None, {STORE_ENV: "/data/runs"}) == "/data/runs"
    assert store_dir(Path("given"), {STORE_ENV: "/data/runs"}) == "given"


def test_only_compiler_store_spells_the_store_folder_and_variable():
    """String literals only (docstrings that describe the default may name it)."""
    spelled = []
    for pkg in ("compiler", "runner", "neural_lsp"):
        for f in (ROOT / pkg).rglob("*.py"):
            if f == ROOT / "compiler" / "store.py":
                continue
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in (DEFAULT_STORE, STORE_ENV):
                    spelled.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert not spelled, spelled


def test_the_tracking_api_honours_the_variable(tmp_path, monkeypatch):
    from runner.tracking import ExperimentManager, ExperimentTracker

    monkeypatch.setenv(STORE_ENV, str(tmp_path / "elsewhere"))
    with ExperimentTracker("env_store", auto_visualize=False, capture_environment=False) as t:
        t.log_metrics({"loss": 1.0}, step=1)
    assert Path(t.experiment_dir).parent == tmp_path / "elsewhere"
    assert [e["experiment_name"] for e in ExperimentManager().list_experiments()] == ["env_store"]
    assert not Path(DEFAULT_STORE).exists()


@pytest.mark.torch
def test_neural_run_and_its_search_honour_the_variable(tmp_path):
    """README: the store is ./neural_experiments, or --base-dir / $NEURAL_EXPERIMENTS_DIR
    (neural run wrote ./neural_experiments whatever the variable said)."""
    pytest.importorskip("torch")
    pytest.importorskip("optuna")
    (tmp_path / "tiny.neural").write_text(TINY)
    env = {**os.environ, STORE_ENV: str(tmp_path / "env_store")}
    for extra in ([], ["--hpo", "--trials", "1", "--progress-json"]):
        r = subprocess.run([sys.executable, "-m", "runner", "run", "tiny.neural", "--dataset", "digits", *extra],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
        assert r.returncode == 0, r.stderr
    assert not (tmp_path / DEFAULT_STORE).exists()
    runs = [json.loads((d / "metadata.json").read_text()) for d in (tmp_path / "env_store").glob("Tiny_*")]
    assert len(runs) == 2  # the plain run and the search's one trial
    (results,) = (tmp_path / "env_store" / "hpo").glob("tiny-Tiny-*/hpo_results.json")
    assert json.loads(results.read_text())["best"]["params"]
