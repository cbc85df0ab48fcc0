"""The incremental store reader: only what changed is read, bad folders never raise."""

from __future__ import annotations

import json
import os
import time

import pytest

from runner.tracking import ExperimentTracker
from runner.tui.reader import GRACE_S, StoreReader
from runner.tui.tail import JsonlTail
from tests.tui.helpers import curve, make_experiment


def append(path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------------------- JsonlTail

def test_tail_reads_only_new_complete_lines(tmp_path):
    path = tmp_path / "m.jsonl"
    append(path, '{"step":0,"loss":1.0}\n{"step":1,')
    tail = JsonlTail(path)
    got = tail.read()
    assert [r["step"] for r in got.records] == [0]
    assert tail.pending  # the torn line waits for its end
    append(path, '"loss":0.5}\nnot json\n{"step":2,"loss":0.25}\n')
    got = tail.read()
    assert [r["step"] for r in got.records] == [1, 2]
    assert got.bad == 1 and tail.bad_lines == 1
    assert not tail.pending
    assert tail.read().records == []  # nothing new: nothing parsed
    assert tail.offset == path.stat().st_size


def test_tail_budget_splits_a_backlog_without_losing_lines(tmp_path):
    path = tmp_path / "m.jsonl"
    append(path, "".join(json.dumps({"step": i, "loss": 1 / (i + 1)}) + "\n" for i in range(500)))
    tail = JsonlTail(path)
    steps, reads = [], 0
    while True:
        got = tail.read(max_bytes=1000)
        reads += 1
        steps += [r["step"] for r in got.records]
        if not got.remaining:
            break
    assert steps == list(range(500))
    assert reads > 5


def test_tail_starts_over_when_the_file_is_replaced_or_truncated(tmp_path):
    path = tmp_path / "m.jsonl"
    append(path, '{"step":0}\n{"step":1}\n')
    tail = JsonlTail(path)
    assert len(tail.read().records) == 2
    path.write_text('{"step":9}\n')  # truncated and rewritten
    got = tail.read()
    assert got.reset and [r["step"] for r in got.records] == [9]
    tmp = tmp_path / "new"
    tmp.write_text('{"step":7}\n{"step":8}\n')
    os.replace(tmp, path)  # replaced: a new inode
    got = tail.read()
    assert got.reset and [r["step"] for r in got.records] == [7, 8]


def test_tail_takes_a_final_object_without_newline(tmp_path):
    path = tmp_path / "m.jsonl"
    append(path, '{"step":0}\n{"step":1}')
    tail = JsonlTail(path)
    assert [r["step"] for r in tail.read().records] == [0, 1]
    append(path, '\n{"step":2}\n')  # what JsonlWriter does after a foreign fragment
    assert [r["step"] for r in tail.read().records] == [2]


# ------------------------------------------------------------------------- StoreReader

def test_reader_follows_new_experiments_and_appended_metrics(store):
    reader = StoreReader(store)
    assert not reader.poll() and reader.experiments == {}
    tracker = ExperimentTracker("live", base_dir=store, auto_visualize=False,
                                capture_environment=False)
    tracker.log_hyperparameters({"lr": 0.1})
    tracker.log_metrics({"loss": 2.0, "accuracy": 0.1})
    changes = reader.poll()
    key = os.path.basename(tracker.experiment_dir)
    assert changes.changed == {key}
    state = reader.experiments[key]
    assert (state.status, state.name, state.hyperparameters) == ("running", "live", {"lr": 0.1})
    assert state.metrics["loss"].last == 2.0 and state.records == 1
    version = state.version

    tracker.log_metrics({"loss": 1.0, "accuracy": 0.5})
    tracker.log_metrics({"loss": 1.5, "accuracy": 0.4})
    assert reader.poll().changed == {key}
    loss, acc = state.metrics["loss"], state.metrics["accuracy"]
    assert (loss.last, loss.best, loss.best_step, loss.mode) == (1.5, 1.0, 1, "min")
    assert (acc.last, acc.best, acc.mode) == (0.4, 0.5, "max")
    assert state.last_step == 2 and state.version > version

    tracker.finish()
    assert reader.poll().changed == {key}
    assert state.status == "completed" and state.duration_s is not None


def test_reader_takes_finished_experiments_from_their_summary(store):
    done = make_experiment(store, "done", curve(50))
    reader = StoreReader(store)
    reader.poll()
    key = os.path.basename(done.experiment_dir)
    state = reader.experiments[key]
    assert state.records == 50 and state.last_step == 49
    assert state.metrics["loss"].best == pytest.approx(1 / 50)
    watch = reader._watches[key]
    assert watch.tail.offset == os.path.getsize(os.path.join(done.experiment_dir,
                                                             "metrics.jsonl"))
    # appended after the summary (a re-opened experiment): read from the end on
    reopened = ExperimentTracker.open(done.experiment_dir)
    reopened.log_metrics({"loss": 0.001})
    reopened.close()
    assert reader.poll().changed == {key}
    assert state.metrics["loss"].best == 0.001 and state.records == 51


def test_reader_parses_the_log_when_the_summary_is_stale(store):
    done = make_experiment(store, "stale", curve(3))
    log = os.path.join(done.experiment_dir, "metrics.jsonl")
    append(log, json.dumps({"step": 3, "timestamp": 0, "loss": 0.01}) + "\n")
    later = time.time() + 5
    os.utime(log, (later, later))  # the log is newer than summary.json
    reader = StoreReader(store)
    reader.poll()
    state = next(iter(reader.experiments.values()))
    assert state.records == 4 and state.metrics["loss"].best == 0.01


def test_an_idle_poll_reads_no_file(store, monkeypatch):
    for i in range(3):
        make_experiment(store, f"e{i}", curve(5))
    reader = StoreReader(store, clock=lambda: time.time() + 10)  # past the racy window
    reader.poll()
    opened = []
    real_open = open

    def spy(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    assert not reader.poll()
    assert opened == []


def test_reader_reports_removed_experiments(store):
    gone = make_experiment(store, "gone", curve(2))
    reader = StoreReader(store)
    reader.poll()
    key = os.path.basename(gone.experiment_dir)
    import shutil

    shutil.rmtree(gone.experiment_dir)
    assert reader.poll().removed == {key}
    assert key not in reader.experiments


def test_damaged_folders_are_marked_not_fatal(store):
    good = make_experiment(store, "good", curve(2))
    bad_json = store / "broken_0000000a"
    bad_json.mkdir()
    (bad_json / "metadata.json").write_text('{"experiment_id": "0000000a", "status": ')
    no_id = store / "noid_0000000b"
    no_id.mkdir()
    (no_id / "metadata.json").write_text('["not", "a", "record"]')
    empty = store / "empty_0000000c"
    empty.mkdir()
    old = time.time() - 3600
    os.utime(empty, (old, old))
    (store / "hpo").mkdir()  # not an experiment: ignored
    garbage = make_experiment(store, "garbage", curve(2), status=None)
    append(os.path.join(garbage.experiment_dir, "metrics.jsonl"),
           "\x00\x01 garbage\n" + '{"step": 9, "loss": 0.5}\n' + '{"step": 10, "lo')
    (store / os.path.basename(good.experiment_dir) / "hyperparameters.json").write_text("{oops")

    reader = StoreReader(store)
    reader.poll()
    by_key = reader.experiments
    assert set(by_key) == {os.path.basename(good.experiment_dir), bad_json.name, no_id.name,
                           empty.name, os.path.basename(garbage.experiment_dir)}
    assert by_key[bad_json.name].status == "corrupt"
    assert "not valid JSON" in by_key[bad_json.name].problem
    assert by_key[no_id.name].status == "corrupt"
    assert by_key[empty.name].status == "incomplete"
    assert by_key[empty.name].problem == "metadata.json: is missing"
    g = by_key[os.path.basename(garbage.experiment_dir)]
    assert g.readable and g.bad_lines == 1 and g.torn_tail and g.last_step == 9
    ok = by_key[os.path.basename(good.experiment_dir)]
    assert ok.readable and any("hyperparameters.json" in w for w in ok.warnings)


def test_a_folder_being_created_is_not_called_incomplete_at_once(store):
    now = [time.time()]
    reader = StoreReader(store, clock=lambda: now[0])
    folder = store / "fresh_0000000d"
    folder.mkdir()
    assert not reader.poll()  # a tracker is still writing it
    now[0] += GRACE_S + 1
    reader.poll()
    assert reader.experiments[folder.name].status == "incomplete"
    (folder / "metadata.json").write_text(json.dumps(
        {"experiment_id": "0000000d", "experiment_name": "fresh", "status": "running"}))
    now[0] += 1
    reader.poll()
    state = reader.experiments[folder.name]
    assert (state.status, state.problem, state.name) == ("running", None, "fresh")


def test_budget_leaves_a_backlog_for_the_next_tick(store):
    big = ExperimentTracker("big", base_dir=store, auto_visualize=False,
                            capture_environment=False)
    for record in curve(2000):
        big.log_metrics(record)
    big.close()
    reader = StoreReader(store)
    changes = reader.poll(max_bytes=20_000)
    assert changes.backlog
    state = next(iter(reader.experiments.values()))
    assert 0 < state.records < 2000
    while reader.poll(max_bytes=20_000).backlog:
        pass
    assert state.records == 2000 and state.metrics["loss"].best == pytest.approx(1 / 2000)


def test_a_damaged_experiment_repaired_in_place_long_after_is_seen(tmp_path):
    """The folder's mtime does not move when a file is rewritten in place."""
    import json
    import os

    from runner.tui.reader import StoreReader

    exp = tmp_path / "broken_0000000a"
    exp.mkdir()
    meta = exp / "metadata.json"
    meta.write_text('{"experiment_id": "0000000a", ')
    old = 1_000_000_000  # long ago: outside any "just created" window
    for p in (meta, exp):
        os.utime(p, (old, old))
    reader = StoreReader(tmp_path)
    reader.poll()
    assert reader.experiments[exp.name].problem is not None
    meta.write_text(json.dumps({"experiment_id": "0000000a", "experiment_name": "mended",
                                "status": "completed"}))
    os.utime(exp, (old, old))  # in-place write: the folder's mtime stays where it was
    reader.poll()
    state = reader.experiments[exp.name]
    assert state.problem is None and state.status == "completed"
