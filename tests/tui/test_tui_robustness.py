"""Whatever the files of an experiment folder hold, reading and showing it never raises."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from runner.tui.compare import compare_rows
from runner.tui.detail import flatten_env, info_text
from runner.tui.filters import matches, parse_filter
from runner.tui.history import SeriesReader
from runner.tui.mirrors import mirror_hints
from runner.tui.model import ExperimentsModel
from runner.tui.reader import StoreReader
from tests.fuzzing import examples

scalars = (st.none() | st.booleans() | st.integers(-5, 10**12)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8)
           | st.sampled_from(["NaN", "Infinity", "running", "completed"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
metadata = st.fixed_dictionaries({}, optional={
    "experiment_id": st.text(max_size=8) | values, "experiment_name": values,
    "status": st.sampled_from(["running", "completed", "pruned", "weird"]) | values,
    "start_timestamp": values, "start_time": values, "end_time": values,
    "duration_s": values, "tags": values, "notes": values, "mirrors": values,
    "environment": values, "error": values,
})
summary = st.fixed_dictionaries({}, optional={
    "metric_records": values,
    "metrics": st.dictionaries(st.text(max_size=6), st.fixed_dictionaries({}, optional={
        "count": values, "last": values, "min": values, "max": values, "mode": values,
        "last_step": values}) | values, max_size=3) | values,
})
record = st.dictionaries(st.sampled_from(["step", "timestamp", "loss", "acc", "x"]), values,
                         max_size=4)
document = st.one_of(values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=40))


def _dump(doc) -> bytes:
    return doc if isinstance(doc, bytes) else json.dumps(doc).encode()


@settings(max_examples=examples(150))
@given(meta=metadata | document, hparams=values | document, summ=summary | document,
       log=st.lists(record.map(lambda r: json.dumps(r).encode()) | st.binary(max_size=30),
                    max_size=6),
       torn=st.binary(max_size=12))
# Timestamps past year 9999 or past what the C library can convert (found by the wide search).
@example(meta={"experiment_id": "a", "start_timestamp": 253402300800.0, "status": "running"},
         hparams={}, summ={}, log=[], torn=b"")
@example(meta={"experiment_id": "a", "start_timestamp": 6.78e16}, hparams={}, summ={}, log=[], torn=b"")
@example(meta={"experiment_id": "a", "start_timestamp": 9.22e18}, hparams={}, summ={}, log=[], torn=b"")
def test_any_folder_content_is_shown_without_raising(meta, hparams, summ, log, torn):
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        folder = base / "fuzz_0000abcd"
        folder.mkdir()
        (folder / "metadata.json").write_bytes(_dump(meta))
        (folder / "hyperparameters.json").write_bytes(_dump(hparams))
        (folder / "metrics.jsonl").write_bytes(b"\n".join(log) + b"\n" + torn)
        (folder / "summary.json").write_bytes(_dump(summ))
        later = time.time() + 5
        os.utime(folder / "summary.json", (later, later))  # the summary looks current
        other = base / "other_0000abce"
        other.mkdir()
        (other / "metadata.json").write_text(json.dumps(
            {"experiment_id": "0000abce", "status": "completed"}))

        reader = StoreReader(base)
        changes = reader.poll()
        model = ExperimentsModel(reader.experiments)
        model.sync(changes.changed, changes.removed)
        now = time.time()
        states = list(reader.experiments.values())
        assert len(states) == 2
        for state in states:
            for column in model.columns():
                model.cell(state, column.key, now)
            info_text(state, now)
            mirror_hints(state.mirrors)
            flatten_env(state.metadata.get("environment"))
            matches(parse_filter("status:running tag:a=b -x y"), state)
        model.summary(model.columns())
        model.ordered_visible()
        series = [SeriesReader(s.path) for s in states]
        for s in series:
            s.poll()
        compare_rows(states, series, now)
        reader.poll()  # and once more, incrementally


def test_grid_cells_stay_on_one_line():
    from runner.tui.grid import _fit

    assert _fit("a\nb\tc\x1b[31m", 12) == "a b c [31m  "
    assert _fit("a very long experiment name", 10) == "a very lo…"
    assert _fit("数据集", 5) == "数据…"  # wide characters count double
