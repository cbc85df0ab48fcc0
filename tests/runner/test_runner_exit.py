"""`neural run` ends without the interpreter's teardown of the frameworks (runner.cli.exit),
and nothing is lost: atexit handlers run, the standard streams are flushed, the experiment's
record is complete."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = """network Quick {
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(16, activation="relu")
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=0.01)
  train { epochs: 2 batch_size: 64 validation_split: 0.2 }
}
"""

# A module global whose finalizer runs only when the interpreter tears __main__ down.
DRIVER = """
import atexit, sys
import runner.cli

class Probe:
    def __del__(self):
        sys.stderr.write("TORN DOWN\\n")

probe = Probe()
atexit.register(lambda: print("ATEXIT RAN", end="", flush=False))
sys.argv = ["neural", *sys.argv[1:]]
runner.cli.entry()
"""


def test_run_skips_the_teardown_and_loses_nothing(tmp_path: Path):
    pytest.importorskip("torch")
    (tmp_path / "quick.neural").write_text(PROGRAM)
    (tmp_path / "driver.py").write_text(DRIVER)
    r = subprocess.run([sys.executable, "driver.py", "run", "quick.neural", "--dataset", "digits",
                        "--seed", "0", "--base-dir", "store"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "final: " in r.stdout and r.stdout.endswith("ATEXIT RAN")  # flushed after atexit
    assert "TORN DOWN" not in r.stderr
    (folder,) = [p for p in (tmp_path / "store").iterdir() if p.name.startswith("Quick_")]
    meta = json.loads((folder / "metadata.json").read_text())
    summary = json.loads((folder / "summary.json").read_text())
    assert meta["status"] == "completed" and meta["duration_s"] is not None
    assert summary["metric_records"] == 2
    assert len((folder / "metrics.jsonl").read_text().splitlines()) == 2


def test_other_commands_and_main_itself_exit_as_usual(tmp_path: Path):
    (tmp_path / "quick.neural").write_text(PROGRAM)
    (tmp_path / "driver.py").write_text(DRIVER)
    r = subprocess.run([sys.executable, "driver.py", "track", "list", "--base-dir", "store"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "TORN DOWN" in r.stderr and r.stdout.endswith("ATEXIT RAN")


@pytest.mark.parametrize("command", ["check", "shapes"])
def test_whole_program_analyses_skip_the_teardown_and_print_everything(tmp_path: Path, command: str):
    """Freeing a 100,000-layer analysis object by object is about half a second of exit."""
    (tmp_path / "quick.neural").write_text(PROGRAM)
    (tmp_path / "driver.py").write_text(DRIVER)
    r = subprocess.run([sys.executable, "driver.py", command, "quick.neural"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "TORN DOWN" not in r.stderr and r.stdout.endswith("ATEXIT RAN")
    assert ("0 errors" in r.stderr) if command == "check" else ("Output" in r.stdout)


def test_a_profiled_run_still_writes_its_profile(tmp_path: Path):
    """cProfile writes its file after the module returns: no quick exit under a profiler."""
    pytest.importorskip("torch")
    (tmp_path / "quick.neural").write_text(PROGRAM)
    r = subprocess.run([sys.executable, "-m", "cProfile", "-o", "run.prof", "-m", "runner", "run",
                        "quick.neural", "--dataset", "digits", "--epochs", "1", "--no-track"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "run.prof").stat().st_size > 0
