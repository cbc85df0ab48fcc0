"""The store and journal reader the language server uses (no Optuna in the server): its
replay of a journal agrees with Optuna's own, appended bytes are all it reads, and damaged
or half-written files are skipped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neural_lsp.results import study_files
from neural_lsp.results.study_files import StoreReader
from tests.fuzzing import examples

optuna = pytest.importorskip("optuna")


def _storage(path: Path):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path.parent.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(path)))


def _objective(trial):
    units = trial.suggest_categorical("units", [16, 32, "wide"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 6)
    trial.report(lr * n, 0)
    if n == 5:
        raise optuna.TrialPruned()
    if n == 6:
        raise ValueError("a failing trial")
    return lr * n + (0.1 if units == 16 else 0)


def _same(mine, theirs) -> None:
    assert [t.number for t in mine.trials] == [t.number for t in theirs.trials]
    for a, b in zip(mine.trials, theirs.trials, strict=True):
        assert a.state == b.state.name
        assert a.value == b.value
        assert a.params == b.params
        assert a.start == pytest.approx(b.datetime_start.timestamp(), abs=1e-3)
        if b.datetime_complete is not None:
            assert a.end == pytest.approx(b.datetime_complete.timestamp(), abs=1e-3)
    best = mine.best()
    assert best is not None and best.number == theirs.best_trial.number


def test_replay_agrees_with_optuna(tmp_path):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base = tmp_path / "neural_experiments"
    storage = _storage(base / "hpo" / "two" / "journal.log")
    a = optuna.create_study(study_name="a", storage=storage, direction="minimize",
                            sampler=optuna.samplers.RandomSampler(seed=3))
    b = optuna.create_study(study_name="b", storage=storage, direction="maximize",
                            sampler=optuna.samplers.RandomSampler(seed=4))
    a.set_user_attr("metric", "val_loss")
    a.optimize(_objective, n_trials=12, catch=(ValueError,))
    b.optimize(_objective, n_trials=5, catch=(ValueError,))
    optuna.delete_study(study_name="b", storage=storage)
    c = optuna.create_study(study_name="c", storage=storage, direction="maximize",
                            sampler=optuna.samplers.RandomSampler(seed=5))
    c.optimize(_objective, n_trials=6, catch=(ValueError,))
    view = StoreReader(str(base)).poll()
    got = {s.name: s for s in view.studies}
    assert sorted(got) == ["a", "c"], "a deleted study is gone, ids after it still line up"
    _same(got["a"], a)
    _same(got["c"], c)
    assert got["a"].metric == "val_loss" and got["c"].direction == "maximize"
    states = got["a"].counts()
    assert states.get("PRUNED") or states.get("FAIL"), "the seeds give pruned or failed trials"


def test_only_appended_bytes_are_read_and_a_torn_line_waits(tmp_path, monkeypatch):
    base = tmp_path / "store"
    journal = base / "hpo" / "s" / "journal.log"
    journal.parent.mkdir(parents=True)
    create = {"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]}
    trial = {"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_start": None}
    journal.write_text(json.dumps(create) + "\n" + json.dumps(trial)[:20])
    reader = StoreReader(str(base))
    first = reader.poll()
    assert [len(s.trials) for s in first.studies] == [0]
    assert reader.poll() is first, "nothing new: the same view"
    seeks = []
    real_open = open

    class Recording:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def seek(self, at):
            seeks.append(at)
            return self.f.seek(at)

        def read(self, n=-1):
            return self.f.read(n)

    def recording_open(path, mode="r", *a, **k):
        f = real_open(path, mode, *a, **k)
        return Recording(f) if str(path).endswith("journal.log") else f

    before = journal.stat().st_size
    monkeypatch.setattr("builtins.open", recording_open)
    with real_open(journal, "a") as f:
        f.write(json.dumps(trial)[20:] + "\n")
    second = reader.poll()
    assert [len(s.trials) for s in second.studies] == [1] and second.generation == first.generation + 1
    assert seeks == [before], "read from where the previous poll stopped"
    journal_reader = reader._journals[str(journal)]
    assert journal_reader.offset == journal.stat().st_size


def test_damaged_and_half_written_files_are_skipped(tmp_path):
    base = tmp_path / "store"
    hpo = base / "hpo" / "s"
    hpo.mkdir(parents=True)
    (hpo / "journal.log").write_text('{"op_code": 0, "study_name": "s", "directions": [2]}\n'
                                     'garbage\n{"op_code": 99}\n{"op_code": 6, "trial_id": 7}\n')
    (hpo / "hpo_results.json").write_text("{half")
    for name, meta in (("Net_0123abcd", "{"), ("Net_89abcdef", json.dumps(
            {"experiment_name": "Net", "status": "running", "start_timestamp": 5.0, "tags": {}}))):
        (base / name).mkdir()
        (base / name / "metadata.json").write_text(meta)
    (base / "Net_89abcdef" / "metrics.jsonl").write_text('{"step": 0, "val_loss": 0.5}\n{"step": 1, "val_lo')
    (base / "not-an-experiment").mkdir()
    view = StoreReader(str(base)).poll()
    (study,) = view.studies
    assert study.name == "s" and study.direction == "maximize" and study.trials == []
    assert any("unreadable line" in p for p in view.problems)
    assert any("hpo_results.json" in p for p in view.problems)
    run = study_files.latest_run(view, "Net")
    assert run is not None and run.key == "Net_89abcdef" and run.latest == {"step": 0, "val_loss": 0.5}


def test_a_missing_store_is_an_empty_view(tmp_path):
    view = StoreReader(str(tmp_path / "nowhere")).poll()
    assert view.studies == [] and view.experiments == [] and view.problems == []


def test_a_truncated_journal_is_replayed_from_the_start(tmp_path):
    base = tmp_path / "store"
    journal = base / "hpo" / "s" / "journal.log"
    journal.parent.mkdir(parents=True)
    line = json.dumps({"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]}) + "\n"
    journal.write_text(line + json.dumps({"op_code": 4, "worker_id": "w", "study_id": 0,
                                          "datetime_start": None}) + "\n")
    reader = StoreReader(str(base))
    assert [len(s.trials) for s in reader.poll().studies] == [1]
    journal.write_text(line.replace('"s"', '"t"'))  # rewritten, shorter
    os.utime(journal, ns=(1, 1))
    assert [(s.name, len(s.trials)) for s in reader.poll().studies] == [("t", 0)]


# ---------------------------------------------------------------------- any bytes
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=True),
                     st.text(max_size=8))
_json = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(
        ["op_code", "study_id", "trial_id", "study_name", "directions", "state", "values", "value",
         "param_name", "param_value_internal", "distribution", "distributions", "params",
         "user_attr", "user_attrs", "datetime_start", "datetime_complete", "step"]), inner,
        max_size=6)), max_leaves=12)
_ops = st.lists(st.one_of(
    st.fixed_dictionaries({"op_code": st.integers(0, 11)}, optional={
        "study_id": st.integers(-1, 2), "trial_id": st.integers(-1, 4), "study_name": _scalars,
        "directions": _json, "state": st.integers(-1, 5), "values": _json, "params": _json,
        "distributions": _json, "distribution": _json, "param_name": _scalars,
        "param_value_internal": _json, "user_attr": _json, "datetime_start": _scalars,
        "datetime_complete": _scalars, "step": _json}).map(json.dumps),
    _json.map(json.dumps), st.binary(max_size=20).map(lambda b: b.decode("latin-1"))), max_size=25)


@settings(max_examples=examples(60))
@given(_ops, st.integers(0, 40))
@example(["[" * 5000], 0)  # nesting deeper than json's recursion limit
def test_any_journal_bytes_give_a_view_never_an_exception(tmp_path_factory, lines, cut):
    base = tmp_path_factory.mktemp("fuzz")
    journal = base / "hpo" / "s" / "journal.log"
    journal.parent.mkdir(parents=True)
    text = "\n".join(lines)
    journal.write_text(text[:cut] if cut < len(text) else text, encoding="utf-8", errors="replace")
    reader = StoreReader(str(base))
    view = reader.poll()
    with journal.open("a", encoding="utf-8", errors="replace") as f:
        f.write(text[cut:] + "\n")
    view = reader.poll()
    for s in view.studies:
        s.best(), s.counts(), s.metric, s.direction  # noqa: B018 - each must not raise


def test_the_latest_run_is_of_the_documents_file(tmp_path):
    base = tmp_path / "store"
    runs = [("Net_00000001", 1.0, "model.neural", {}), ("Net_00000002", 2.0, "/else/other.neural", {}),
            ("Net_00000003", 3.0, "model.neural", {"study": "s", "trial": 0})]
    for key, start, program, tags in runs:
        (base / key).mkdir(parents=True)
        (base / key / "metadata.json").write_text(json.dumps(
            {"experiment_name": "Net", "status": "completed", "start_timestamp": start, "tags": tags}))
        (base / key / "hyperparameters.json").write_text(json.dumps({"program": program}))
    view = StoreReader(str(base)).poll()
    assert study_files.latest_run(view, "Net", "/work/model.neural").key == "Net_00000001", \
        "not the newer run of another file, nor a search trial"
    assert study_files.latest_run(view, "Net", "/work/other.neural").key == "Net_00000002"
    assert study_files.latest_run(view, "Other", "/work/model.neural") is None
