"""The wheel `python -m build` makes from this repository, installed with `pipx install` into
an empty pipx home: `neural-lsp` and `neural` are on its PATH and work, the grammar and the web
UI's static files are inside, and the server answers a real client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.editors.doc import PROGRAM, ROOT

pytestmark = pytest.mark.slow


def _lsp_frame(msg: dict) -> bytes:
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (whl,) = out.glob("neural_dsl-*.whl")
    return whl


def test_wheel_holds_the_grammar_and_the_web_ui(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "compiler/grammar.lark" in names
    static = sorted(n for n in names if n.startswith("runner/webui/static/"))
    on_disk = sorted(f"runner/webui/static/{p.name}" for p in (ROOT / "runner/webui/static").iterdir() if p.is_file())
    assert static == on_disk and on_disk
    assert not any(n.startswith(("tests/", "vscode-extension/", "benchmarks/")) for n in names), names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "neural-lsp = neural_lsp.__main__:main" in text and "neural = runner.cli:entry" in text


def test_pipx_install_of_the_wheel_gives_working_neural_and_neural_lsp(wheel, tmp_path):
    home, bindir = tmp_path / "pipx-home", tmp_path / "pipx-bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIPX_HOME=str(home), PIPX_BIN_DIR=str(bindir), PIPX_MAN_DIR=str(tmp_path / "man"))
    pipx = subprocess.run([sys.executable, "-m", "pipx", "install", str(wheel)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert pipx.returncode == 0, pipx.stdout[-3000:] + pipx.stderr[-3000:]
    assert {"neural", "neural-lsp"} <= {p.name for p in bindir.iterdir()}, list(bindir.iterdir())
    env_dir = home / "venvs" / "neural-dsl"
    env["PATH"] = f"{bindir}:/usr/bin:/bin"
    version = subprocess.run(["neural-lsp", "--version"], env=env, capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("neural-lsp "), version
    # The installed compiler reads its grammar from the installed package, not this checkout.
    check = subprocess.run(["neural", "check", str(PROGRAM)], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode != 0 and "N302" in check.stdout + check.stderr, check
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import compiler, runner.webui.server as s; print(compiler.__file__, s.STATIC_DIR.is_dir())"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert str(env_dir) in where.stdout and where.stdout.strip().endswith("True"), where
    # The installed server answers initialize over stdio (a raw JSON-RPC client).
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}}
    proc = subprocess.run(["neural-lsp"], input=_lsp_frame(init) + _lsp_frame({"jsonrpc": "2.0", "method": "exit"}),
                          env=env, capture_output=True, timeout=60)
    reply = json.loads(proc.stdout.split(b"\r\n\r\n", 1)[1].split(b"Content-Length")[0])
    assert reply["result"]["serverInfo"]["name"] == "neural-lsp", reply
