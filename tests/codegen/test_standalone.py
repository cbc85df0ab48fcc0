"""What a compiled file needs: its header names it, the model builds with the framework alone,
and main() without this package says what to install instead of raising ImportError."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.codegen import generate_code

REPO = Path(__file__).resolve().parents[2]
SRC = (REPO / "examples" / "digits_mlp_hpo.neural").read_text()
EXTRA = {"pytorch": "torch", "tensorflow": "tensorflow"}

# Runs a compiled file with the `runner` package made unimportable, as on a machine that has
# only the framework: builds the model, then calls main().
WITHOUT_RUNNER = """
import importlib.util, sys
sys.modules["runner"] = None  # any `import runner...` raises ImportError
spec = importlib.util.spec_from_file_location("compiled", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
model = m.build_model()
m.build_optimizer(model) if m.BACKEND == "pytorch" else m.build_optimizer()
m.build_loss()
print("built", flush=True)
m.main([])
"""


def _runner_imports(tree: ast.Module) -> list[ast.stmt]:
    """Module-level imports of runner that are not guarded by `except ImportError`."""
    bare = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(n.split(".")[0] == "runner" for n in names):
                bare.append(node)
    return bare


@pytest.mark.parametrize("backend", ["pytorch", "tensorflow"])
def test_header_says_what_the_file_needs(backend):
    code = generate_code(SRC, backend)
    doc = ast.get_docstring(ast.parse(code))
    assert f'pip install "neural-dsl[{EXTRA[backend]}]"' in doc
    assert "runner.data.load_for" in doc and "runner.training.fit" in doc
    assert "build_model()" in doc
    assert _runner_imports(ast.parse(code)) == [], "the model must import without the package"


def _run_without_runner(tmp_path: Path, backend: str) -> subprocess.CompletedProcess:
    path = tmp_path / f"model.{backend}.py"
    path.write_text(generate_code(SRC, backend))
    return subprocess.run([sys.executable, "-c", WITHOUT_RUNNER, str(path)], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)


def test_pytorch_model_builds_without_the_package_and_main_names_the_install(tmp_path):
    pytest.importorskip("torch")
    r = _run_without_runner(tmp_path, "pytorch")
    assert r.stdout.strip() == "built", r.stderr
    assert r.returncode == 1
    assert r.stderr.strip().endswith('pip install "neural-dsl[torch]"'), r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.tensorflow
@pytest.mark.slow
def test_keras_model_builds_without_the_package_and_main_names_the_install(tmp_path):
    pytest.importorskip("tensorflow")
    r = _run_without_runner(tmp_path, "tensorflow")
    assert r.stdout.strip() == "built", r.stderr
    assert r.returncode == 1
    assert r.stderr.strip().endswith('pip install "neural-dsl[tensorflow]"'), r.stderr[-2000:]
    assert "Traceback" not in r.stderr
