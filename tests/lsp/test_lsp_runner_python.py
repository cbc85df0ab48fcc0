"""Which interpreter runs the runner's jobs: the extension's bundled server runs on any Python
and names the one with the ML frameworks (the workspace's .venv) in NEURAL_RUNNER_PYTHON."""

from __future__ import annotations

import sys

from neural_lsp.core import jobs


def test_runner_runs_in_the_servers_interpreter_by_default(monkeypatch):
    monkeypatch.delenv(jobs.RUNNER_PYTHON_ENV, raising=False)
    assert jobs.runner_argv("run", "f.neural") == [sys.executable, "-m", "runner", "run", "f.neural"]


def test_neural_runner_python_names_another_interpreter(monkeypatch):
    monkeypatch.setenv(jobs.RUNNER_PYTHON_ENV, "/ws/.venv/bin/python")
    assert jobs.runner_argv("run", "f.neural")[:3] == ["/ws/.venv/bin/python", "-m", "runner"]
    monkeypatch.setenv(jobs.RUNNER_PYTHON_ENV, "")
    assert jobs.runner_argv()[0] == sys.executable
