"""Start-up: the `initialize` answer waits for nothing but the server itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from neural_lsp.__main__ import parse_args
from neural_lsp.handlers import build_server
build_server()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "compiler"
                        or m.startswith("neural_lsp."))))
"""


def test_the_server_is_built_without_the_compiler_or_the_feature_modules():
    """Feature modules (and the compiler under them) load after `initialized`, in the worker
    thread, or when a request first needs one (handlers._OnFirstUse)."""
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    loaded = json.loads(out)
    assert not [m for m in loaded if m.startswith("compiler")], loaded
    deferred = {"neural_lsp.features.hover", "neural_lsp.features.semantic", "neural_lsp.features.completion",
                "neural_lsp.query.locate", "neural_lsp.features.actions", "neural_lsp.query.walk", "neural_lsp.features.insights",
                "neural_lsp.features.results_hover", "neural_lsp.features.results_lens",
                # the experiment stores and the commands (with jobs and progress): after
                # `initialize` too
                "neural_lsp.results.experiments", "neural_lsp.results.study_files",
                "neural_lsp.features.commands", "neural_lsp.core.jobs"}
    assert not deferred & set(loaded), sorted(deferred & set(loaded))
    assert "neural_lsp.core.server" in loaded
