"""workspace/executeCommand: compile (code generation in the server), train and Run HPO
(the real runner CLI as a subprocess: progress per epoch/trial, cancellation), over stdio.
The extension's contract is in vscode-extension/src/commands.ts and results.ts."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import DEFAULT_SETTINGS, ROOT, open_doc, plain, replace_all, server_fixture

pytestmark = pytest.mark.asyncio(loop_scope="module")

client = server_fixture()

_HELP = subprocess.run([sys.executable, "-m", "runner", "run", "--help"], capture_output=True,
                       text=True, cwd=ROOT).stdout
needs_runner = pytest.mark.skipif(
    "--progress-json" not in _HELP,
    reason="the runner has no `neural run --progress-json` yet (python -m runner run --help)")

MLP = """# digits (8x8) -> 10 classes
network Digits {
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(%s, activation="relu")
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=0.01)
  train {
    epochs: %d
    batch_size: 64
    validation_split: 0.2
  }
}
"""

SEARCH = """network Search {
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(HPO(choice(16, 32)), activation="relu")
    Dropout(HPO(range(0.1, 0.3, step=0.1)))
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=HPO(log_range(1e-3, 3e-2)))
  train {
    epochs: 1
    batch_size: 64
    validation_split: 0.2
    search_method: "random"
  }
}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("commands")


def _write(folder: Path, name: str, text: str) -> str:
    p = folder / name
    p.write_text(text)
    return p.as_uri()


async def _execute(client, command: str, args: list, token: str | None = None):
    if token is not None:
        client.progress_reports.setdefault(token, [])
    got = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=command, arguments=args, work_done_token=token))
    return plain(got)


def _kinds(client, token) -> list[str]:
    return [v.kind for v in client.progress_reports.get(token, [])]


# ---------------------------------------------------------------------- compile
@pytest.mark.parametrize("backend,marker", [("pytorch", "import torch"), ("tensorflow", "tensorflow")])
async def test_compile_writes_beside_the_source_and_shows_it(client, folder, backend, marker):
    uri = _write(folder, "mlp.neural", MLP % ("32", 2))
    open_doc(client, (folder / "mlp.neural").read_text(), uri=uri)
    before = len(client.shown_documents)
    r = await _execute(client, "neural.server.compile", [uri, backend, None], token=f"c-{backend}")
    path = Path(r["path"])
    assert path == folder / f"mlp.{backend}.py"
    code = path.read_text()
    assert marker in code
    compile(code, str(path), "exec")  # valid Python
    shown = client.shown_documents[before:]
    assert [s.uri for s in shown] == [path.as_uri()] and shown[0].take_focus
    assert _kinds(client, f"c-{backend}") == ["begin", "end"]


async def test_compile_uses_the_editor_text_not_the_saved_file(client, folder):
    uri = _write(folder, "edited.neural", MLP % ("32", 2))
    open_doc(client, (folder / "edited.neural").read_text(), uri=uri)
    replace_all(client, uri, MLP % ("48", 2), 2)
    r = await _execute(client, "neural.server.compile", [uri, "pytorch", "Digits"])
    assert "48" in Path(r["path"]).read_text()


async def test_compile_a_file_that_is_not_open(client, folder):
    uri = _write(folder, "closed.neural", MLP % ("32", 2))
    r = await _execute(client, "neural.server.compile", [uri, "pytorch"])
    assert Path(r["path"]).name == "closed.pytorch.py"


async def test_compile_refuses_with_a_clear_message(client, folder):
    bad = _write(folder, "bad.neural", (MLP % ("32", 2)).replace("Flatten()", "Flatten()\n    Dropout(1.5)"))
    with pytest.raises(JsonRpcException) as err:
        await _execute(client, "neural.server.compile", [bad, "pytorch", None])
    assert err.value.code == -32803 and "N302" in err.value.message and "line 6" in err.value.message
    good = _write(folder, "good.neural", MLP % ("32", 2))
    with pytest.raises(JsonRpcException) as err:
        await _execute(client, "neural.server.compile", [good, "pytorch", "Nope"])
    assert "no network named 'Nope' (networks: Digits)" in err.value.message
    with pytest.raises(JsonRpcException) as err:
        await _execute(client, "neural.server.compile", [good, "jax", None])
    assert err.value.code == -32602
    with pytest.raises(JsonRpcException) as err:
        await _execute(client, "neural.server.runHpo", [good, None, None])
    assert "no HPO expression" in err.value.message


# ---------------------------------------------------------------------- train
@needs_runner
@pytest.mark.slow
async def test_train_reports_epochs_and_returns_metrics(client, folder):
    uri = _write(folder, "train.neural", MLP % ("32", 2))
    r = await _execute(client, "neural.server.train", [uri, None], token="train-1")
    assert set(r) == {"metrics", "experiment_dir"}
    assert 0.0 <= r["metrics"]["accuracy"] <= 1.0 and "val_loss" in r["metrics"]
    assert Path(r["experiment_dir"]).is_dir()
    assert Path(r["experiment_dir"]).is_relative_to(folder), "experiments go beside the file"
    reports = client.progress_reports["train-1"]
    assert [v.kind for v in reports] == ["begin", "report", "report", "end"]
    assert reports[0].cancellable
    assert reports[1].message.startswith("epoch 1/2, loss ") and reports[1].percentage == 50
    assert reports[2].message.startswith("epoch 2/2") and reports[2].percentage == 100


@needs_runner
@pytest.mark.slow
async def test_train_writes_to_the_store_the_setting_names(client, folder, tmp_path):
    """The editor reads results from `neural.experiments.baseDir`: a run it starts goes there."""
    store = tmp_path / "elsewhere"
    client.set_configuration({**DEFAULT_SETTINGS, "experiments": {"baseDir": str(store)}}, section="neural")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    try:
        uri = _write(folder, "stored.neural", MLP % ("16", 1))
        for _ in range(3):  # the server may still be asking for the new settings
            r = await _execute(client, "neural.server.train", [uri, None])
            if Path(r["experiment_dir"]).is_relative_to(store):
                break
        assert Path(r["experiment_dir"]).is_relative_to(store), r["experiment_dir"]
    finally:
        client.set_configuration(DEFAULT_SETTINGS, section="neural")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))


@needs_runner
@pytest.mark.slow
async def test_cancel_training(client, folder):
    uri = _write(folder, "long.neural", MLP % ("32", 500))
    task = asyncio.ensure_future(_execute(client, "neural.server.train", [uri, "Digits"], token="train-2"))
    for _ in range(600):
        if any(v.kind == "report" and (v.message or "").startswith("epoch") for v in
               client.progress_reports.get("train-2", [])):
            break
        await asyncio.sleep(0.1)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token="train-2"))
    with pytest.raises(JsonRpcException) as err:
        await asyncio.wait_for(task, 30)
    assert err.value.code == -32800
    assert _kinds(client, "train-2")[-1] == "end"


# ---------------------------------------------------------------------- HPO
@needs_runner
@pytest.mark.slow
async def test_run_hpo_with_a_server_created_token(client, folder):
    uri = _write(folder, "search.neural", SEARCH)
    known = set(client.progress_reports)
    r = await _execute(client, "neural.server.runHpo", [uri, None, 2])
    assert r["trials"] == 2 and isinstance(r["best_value"], float)
    assert set(r["best_params"]) == {"layers[1].Dense.units", "layers[2].Dropout.rate",
                                     "optimizer.Adam.learning_rate"}
    assert "HPO(" not in r["optimized_text"] and "network Search" in r["optimized_text"]
    opt = Path(r["optimized_uri"].removeprefix("file://"))
    assert opt.read_text() == r["optimized_text"] and opt.parent == folder
    results = json.loads(Path(r["results_path"]).read_text())
    assert len(results["trials"]) == 2
    (token,) = set(client.progress_reports) - known  # created with window/workDoneProgress/create
    reports = client.progress_reports[token]
    assert [v.kind for v in reports][0] == "begin" and reports[-1].kind == "end"
    messages = [v.message for v in reports if v.kind == "report"]
    assert messages[-2].startswith("trial 1/2") and ", best " in messages[-2]
    assert messages[-1].startswith("trial 2/2")


@needs_runner
@pytest.mark.slow
async def test_run_hpo_cancel_returns_the_best_so_far(client, folder):
    uri = _write(folder, "cancel.neural", SEARCH)
    open_doc(client, SEARCH, uri=uri)
    task = asyncio.ensure_future(_execute(client, "neural.server.runHpo", [uri, "Search", 50], token="hpo-c"))
    for _ in range(900):
        if any((v.message or "").startswith("trial") for v in client.progress_reports.get("hpo-c", [])):
            break
        await asyncio.sleep(0.1)
    # the server stays responsive while the search runs
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=4, character=6)))
    assert "Dense" in h.contents.value
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token="hpo-c"))
    r = await asyncio.wait_for(task, 60)
    assert 1 <= r["trials"] < 50
    assert isinstance(r["best_value"], float)
    assert "HPO(" not in r["optimized_text"] and "network Search" in r["optimized_text"]
    assert _kinds(client, "hpo-c")[-1] == "end"
