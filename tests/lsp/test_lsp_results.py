"""Results of past runs and searches in the editor, over stdio against the real server:
code lens, hover table, inlay hint, insight diagnostics (N8xx) and their fixes, applying the
best values, a study for an earlier version of the network, and a search running while the
document is open.

The store comes from a real short search (`neural run --hpo`) and a real training run, made
once for this module; the expectations are read back from the study with Optuna itself. The
insights need outcomes a 4-trial search cannot promise, so their study is a real Optuna
journal with chosen trial values.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from lsprotocol import types

from compiler.analysis import analyze
from tests.lsp.conftest import (
    apply_edits,
    diagnostics,
    hover_text,
    open_doc,
    pos,
    replace_all,
    server_fixture,
    vscode_like,
)
from tests.programs import TINY  # its train block says 2 epochs; every run here passes --epochs 1

pytest.importorskip("optuna")
pytest.importorskip("torch")

pytestmark = pytest.mark.asyncio(loop_scope="module")

TRIALS = 4

INSIGHT = """network Net {
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(HPO(choice(16, 64, 256)), activation="relu")
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=HPO(log_range(0.0001, 0.01)))  # searched
}
"""
UNITS, LR = "layers[1].Dense.units", "optimizer.Adam.learning_rate"
# (units, learning_rate, val_loss): the 4 best sit within 5% of lr's upper bound (log scale),
# units=16 is tried 3 times and always in the worse half
INSIGHT_TRIALS = [(64, 0.0099, 0.10), (256, 0.0098, 0.11), (64, 0.0097, 0.12), (256, 0.0096, 0.13),
                  (16, 0.0005, 0.50), (16, 0.001, 0.60), (64, 0.0002, 0.70), (16, 0.0003, 0.80)]


def _runner(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    env.pop("NEURAL_EXPERIMENTS_DIR", None)
    return subprocess.Popen([sys.executable, "-m", "runner", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait(proc: subprocess.Popen, timeout: float = 300) -> None:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"{proc.args}: {err[-2000:]}\n{out[-500:]}"


def _load_study(folder: Path):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    (journal,) = folder.glob("neural_experiments/hpo/*/journal.log")
    storage = JournalStorage(JournalFileBackend(str(journal)))
    (summary,) = optuna.get_all_study_summaries(storage)
    return optuna.load_study(study_name=summary.study_name, storage=storage)


@pytest.fixture(scope="module")
def searched():
    """A workspace with tiny.neural after a real 4-trial search and a real training run."""
    root = Path(tempfile.mkdtemp(prefix="neural-results-"))
    (root / "tiny.neural").write_text(TINY)
    common = ("--dataset", "digits", "--epochs", "1", "--seed", "1")
    # both at once (each is mostly importing torch); the trials need no experiments here
    search = _runner("run", "tiny.neural", "--hpo", "--trials", str(TRIALS), "--search", "random",
                     "--no-track", *common, cwd=root)
    train = _runner("run", "tiny.neural", *common, cwd=root)  # the defaults: a plain run
    _wait(search)
    _wait(train)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def insight_store():
    """A workspace whose study (a real Optuna journal) has trials chosen to trigger N801/N802."""
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from optuna.trial import create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="neural-insight-"))
    (root / "insight.neural").write_text(INSIGHT)
    folder = root / "neural_experiments" / "hpo" / "insight-Net"
    folder.mkdir(parents=True)
    storage = JournalStorage(JournalFileBackend(str(folder / "journal.log")))
    study = optuna.create_study(study_name="insight-Net", storage=storage, direction="minimize")
    study.set_user_attr("metric", "val_loss")
    dists = {UNITS: CategoricalDistribution([16, 64, 256]),
             LR: FloatDistribution(0.0001, 0.01, log=True)}
    for units, lr, loss in INSIGHT_TRIALS:
        values = {UNITS: units, LR: lr}
        study.add_trial(create_trial(params=values, distributions=dists, value=loss,
                                     user_attrs={"values": values}))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _caps() -> types.ClientCapabilities:
    caps = vscode_like()
    caps.workspace.code_lens = types.CodeLensWorkspaceClientCapabilities(refresh_support=True)
    return caps


SETTINGS = {"inlayHints": {"shapes": False, "bestValues": True}, "diagnostics": {"level": "hint"}}
client = server_fixture(_caps(), settings=SETTINGS)


def _uri(folder: Path, name: str) -> str:
    return (folder / name).as_uri()


async def _lenses(client, uri: str) -> list[str]:
    got = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    return [lens.command.title for lens in got]


async def _hover(client, uri: str, text: str, needle: str) -> str:
    return hover_text(await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=pos(text, needle, 2))))


async def _inlay(client, uri: str, text: str) -> list[types.InlayHint]:
    end = pos(text, text.rstrip()[-1], 1, nth=text.rstrip().count(text.rstrip()[-1]) - 1)
    return list(await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=0, character=0), end=end))))


def _expected_head(study) -> str:
    from optuna.trial import TrialState

    states = [t.state for t in study.trials]
    parts = [f"{states.count(s)} {s.name.lower()}" for s in
             (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL) if states.count(s)]
    return f"best val_loss {study.best_value:.4g} · {len(states)} trials ({', '.join(parts)}) · "


# ---------------------------------------------------------------------- lens
async def test_lens_shows_the_best_result_and_the_latest_run(searched, client):
    study = _load_study(searched)
    uri = open_doc(client, TINY, _uri(searched, "tiny.neural"))
    titles = await _lenses(client, uri)
    best = next(t for t in titles if t.startswith("best "))
    assert best.startswith(_expected_head(study)), (best, titles)
    assert best.endswith(("just now", "min ago"))
    run = next(t for t in titles if t.startswith("latest run: "))
    assert run.startswith("latest run: completed ") and " · val_loss " in run
    assert titles[-4:] == ["Run HPO", "Compile to PyTorch", "Compile to TensorFlow", "Train"]
    got = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    target = got[0].command.arguments[0]
    assert got[0].command.command == "neural.openTui"
    assert target == {"baseDir": str(searched / "neural_experiments"), "study": study.study_name,
                      "experiment": None}


# ---------------------------------------------------------------------- hover
async def test_hover_has_the_study_table(searched, client):
    study = _load_study(searched)
    uri = open_doc(client, TINY, _uri(searched, "tiny.neural"))
    text = await _hover(client, uri, TINY, "HPO(choice(16")
    assert "**HPO** `layers[1].Dense.units`" in text, "the compiler's part stays first"
    values = [t.user_attrs["values"]["layers[1].Dense.units"] for t in study.trials]
    best = study.best_trial.user_attrs["values"]["layers[1].Dense.units"]
    assert f"Tried in {TRIALS} trials; the best trial (val_loss {study.best_value:.4g}) used `{best}`" in text
    assert "| option | trials | best val_loss | mean val_loss |" in text
    for option in (16, 32):
        scores = [t.value for t in study.trials
                  if t.user_attrs["values"]["layers[1].Dense.units"] == option and t.value is not None]
        row = f"| `{option}` | {values.count(option)} | "
        if scores:
            row += f"{min(scores):.4g} | {sum(scores) / len(scores):.4g} |"
        assert row in text, (row, text)
    assert "Importance: " in text
    lr = await _hover(client, uri, TINY, "HPO(log_range")
    assert "| range | trials |" in lr and lr.count("\n| `") == 5, "five parts of the log range"


# ---------------------------------------------------------------------- inlay
async def test_inlay_hint_after_each_hpo_with_the_best_value(searched, client):
    study = _load_study(searched)
    best = study.best_trial.user_attrs["values"]
    uri = open_doc(client, TINY, _uri(searched, "tiny.neural"))
    hints = await _inlay(client, uri, TINY)
    labels = {(h.position.line, h.position.character): h.label for h in hints}
    end_units = pos(TINY, "HPO(choice(16, 32))", len("HPO(choice(16, 32))"))
    assert labels[(end_units.line, end_units.character)] == f"best: {best['layers[1].Dense.units']}"
    end_lr = pos(TINY, "HPO(log_range(1e-3, 3e-2))", len("HPO(log_range(1e-3, 3e-2))"))
    assert labels[(end_lr.line, end_lr.character)] == \
        f"best: {best['optimizer.Adam.learning_rate']:.4g}"
    assert len(hints) == 3
    # neural.inlayHints.bestValues off: none (the client is asked to refresh its hints)
    before = client.inlay_refreshes
    client.set_configuration({"inlayHints": {"shapes": False, "bestValues": False}}, section="neural")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    for _ in range(400):
        if client.inlay_refreshes > before:
            break
        await asyncio.sleep(0.01)
    assert await _inlay(client, uri, TINY) == []
    client.set_configuration(SETTINGS, section="neural")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))


# ---------------------------------------------------------------------- apply best values
async def test_apply_best_values_writes_what_the_search_wrote(searched, client):
    uri = open_doc(client, TINY, _uri(searched, "tiny.neural"))
    got = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=pos(TINY, "network"), end=pos(TINY, "network")),
        context=types.CodeActionContext(diagnostics=[], only=["source.neural.applyBestValues"])))
    (action,) = got
    assert action.title.startswith("Neural: Apply the best values of study ")
    (change,) = action.edit.document_changes
    new = apply_edits(TINY, change.edits)
    assert new == (searched / "tiny.optimized.neural").read_text(), "as the runner writes it"
    assert "# width" in new and "HPO(" not in new


# ---------------------------------------------------------------------- stale
async def _edited(client, searched, changed: str) -> tuple[str, list[str], list[str]]:
    """Open the searched program, replace it with `changed`: (uri, lens titles, the stale ones)."""
    uri = open_doc(client, TINY, _uri(searched, "tiny.neural"))
    await _lenses(client, uri)
    replace_all(client, uri, changed, 2)
    titles = await _lenses(client, uri)
    return uri, titles, [t for t in titles if "earlier version" in t]


async def test_a_changed_space_says_the_study_is_for_an_earlier_version(searched, client):
    changed = TINY.replace("choice(16, 32)", "choice(16, 64)")
    uri, titles, stale = await _edited(client, searched, changed)
    assert len(stale) == 1 and stale[0].startswith("study tiny-Tiny")
    assert "layers[1].Dense.units: choice 16, 32 → choice 16, 64" in stale[0]
    assert not any(t.startswith("best ") for t in titles), "no stale numbers shown as current"
    assert await _inlay(client, uri, changed) == []
    text = await _hover(client, uri, changed, "HPO(log_range")
    assert "was for an earlier version of `Tiny`" in text and "| range |" not in text
    replace_all(client, uri, TINY, 3)  # back to the searched space: numbers again
    assert any(t.startswith("best ") for t in await _lenses(client, uri))


async def test_an_edited_fixed_layer_says_the_study_is_for_an_earlier_version(searched, client):
    """The runner starts a new study for an edited fixed layer: the editor no longer shows the
    old study's numbers as this network's either; formatting alone changes nothing."""
    uri, titles, stale = await _edited(client, searched, TINY.replace("Output(10, ", "Dense(8)\n    Output(10, "))
    assert len(stale) == 1 and "the network outside the search changed" in stale[0]
    assert not any(t.startswith("best ") for t in titles)
    replace_all(client, uri, "# reformatted\n" + TINY.replace("Output(10, ", "Output( 10 ,  "), 3)
    assert any(t.startswith("best ") for t in await _lenses(client, uri))


# ---------------------------------------------------------------------- insights
async def _insights(client, uri: str, version: int = 1, timeout: float = 10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = [d for d in await diagnostics(client, uri, version) if str(d.code).startswith("N8")]
        if got or loop.time() > deadline:
            return got
        await asyncio.sleep(0.05)


async def _fix(client, uri: str, d: types.Diagnostic) -> types.CodeAction:
    got = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=d.range,
        context=types.CodeActionContext(diagnostics=[d], only=["quickfix"])))
    return next(a for a in got if a.diagnostics and a.diagnostics[0].code == d.code)


async def test_best_trials_at_the_upper_bound_and_the_fix_widens(insight_store, client):
    uri = open_doc(client, INSIGHT, _uri(insight_store, "insight.neural"))
    found = await _insights(client, uri)
    edge = next(d for d in found if d.code == "N801")
    assert edge.severity == types.DiagnosticSeverity.Information
    assert "the 4 best trials of study insight-Net all have learning_rate within 5% of the upper " \
           "bound 0.01: widen the range" == edge.message
    assert edge.range.start == pos(INSIGHT, "0.01)")
    fix = await _fix(client, uri, edge)
    fixed = apply_edits(INSIGHT, fix.edit.document_changes[0].edits)
    assert "learning_rate=HPO(log_range(0.0001, 0.1)))  # searched" in fixed
    assert not analyze(fixed).errors


async def test_an_option_never_in_the_better_half_and_the_fix_drops_it(insight_store, client):
    uri = open_doc(client, INSIGHT, _uri(insight_store, "insight.neural"))
    found = await _insights(client, uri)
    (unused,) = [d for d in found if d.code == "N802"]
    assert unused.severity == types.DiagnosticSeverity.Information
    assert "option 16 of units was tried in 3 of 8 complete trials" in unused.message
    assert unused.range.start == pos(INSIGHT, "16, 64")
    fix = await _fix(client, uri, unused)
    fixed = apply_edits(INSIGHT, fix.edit.document_changes[0].edits)
    assert "Dense(HPO(choice(64, 256)), activation" in fixed
    assert not analyze(fixed).errors
    assert [d for d in found if d.code not in ("N801", "N802")] == []


async def test_no_insights_from_a_short_search(searched, client):
    uri = open_doc(client, TINY, _uri(searched, "tiny.neural"), version=5)
    await _lenses(client, uri)  # the store has been read
    assert await _insights(client, uri, 5, timeout=1.5) == [], "4 trials are too few to judge"


# ---------------------------------------------------------------------- damaged store
async def test_an_empty_or_damaged_store_is_no_results(client):
    root = Path(tempfile.mkdtemp(prefix="neural-damaged-"))
    try:
        hpo = root / "neural_experiments" / "hpo" / "broken-Tiny"
        hpo.mkdir(parents=True)
        (hpo / "journal.log").write_text('{"op_code": 0, "worker_id": "w", "study_name": "broken-Tiny", '
                                         '"directions": [1]}\nnot json\n{"op_code": 4, "stud')
        (hpo / "hpo_results.json").write_text("{half")
        exp = root / "neural_experiments" / "Tiny_0123abcd"
        exp.mkdir()
        (exp / "metadata.json").write_text("{")
        uri = open_doc(client, TINY, _uri(root, "broken.neural"))
        lenses = ["Run HPO", "Compile to PyTorch", "Compile to TensorFlow", "Train"]
        assert await _lenses(client, uri) == ["study broken-Tiny: no trial yet", *lenses]
        with (hpo / "journal.log").open("a") as f:  # the torn line is finished: a trial starts
            f.write('y_id": 0, "datetime_start": null}\n')
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while (titles := await _lenses(client, uri))[0] != "value: no complete trial yet · " \
                "1 trial (1 running) · at an unknown time" and loop.time() < deadline:
            await asyncio.sleep(0.1)
        assert titles[1:] == lenses, titles
        assert titles[0] == "value: no complete trial yet · 1 trial (1 running) · at an unknown time"
        empty = root / "empty"
        empty.mkdir()
        uri2 = open_doc(client, TINY, _uri(empty, "tiny.neural"))
        assert await _lenses(client, uri2) == lenses
        assert "**HPO**" in await _hover(client, uri2, TINY, "HPO(choice")
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------------- live
async def test_the_lens_follows_a_search_while_it_runs(client):
    root = Path(tempfile.mkdtemp(prefix="neural-live-"))
    refreshes = client.lens_refreshes
    try:
        (root / "tiny.neural").write_text(TINY)
        uri = open_doc(client, TINY, _uri(root, "tiny.neural"))
        assert not any("trial" in t for t in await _lenses(client, uri))
        proc = _runner("run", "tiny.neural", "--hpo", "--trials", "3", "--search", "random",
                       "--dataset", "digits", "--epochs", "1", "--seed", "2", "--no-track", cwd=root)
        seen: list[str] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 240
        while proc.poll() is None and loop.time() < deadline:
            head = next((t for t in await _lenses(client, uri) if " trial" in t), None)
            if head is not None and (not seen or seen[-1] != head):
                seen.append(head)
            await asyncio.sleep(0.2)
        _wait(proc, timeout=10)
        await asyncio.sleep(1.5)  # one more poll after the search wrote its last line
        final = next(t for t in await _lenses(client, uri) if " trial" in t)
        assert final.startswith(_expected_head(_load_study(root)))
        assert len({*seen, final}) >= 2, f"the lens changed while the search ran: {seen} -> {final}"
        assert client.lens_refreshes > refreshes, "the client was asked to refresh its lenses"
    finally:
        shutil.rmtree(root, ignore_errors=True)


async def test_the_store_can_be_named_by_a_setting(searched, client):
    elsewhere = Path(tempfile.mkdtemp(prefix="neural-elsewhere-"))
    try:
        uri = open_doc(client, TINY, _uri(elsewhere, "tiny.neural"))
        assert not any(t.startswith("best ") for t in await _lenses(client, uri)), "no store beside it"
        client.set_configuration({**SETTINGS, "experiments": {"baseDir": str(searched / "neural_experiments")}},
                                 section="neural")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while True:
            titles = await _lenses(client, uri)
            if any(t.startswith("best ") for t in titles):
                break
            assert loop.time() < deadline, titles
            await asyncio.sleep(0.1)
    finally:
        client.set_configuration(SETTINGS, section="neural")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
        shutil.rmtree(elsewhere, ignore_errors=True)
