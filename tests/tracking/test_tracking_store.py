import json
import os
import warnings

import pytest

from runner.tracking.errors import StoreWarning
from runner.tracking.store import (
    JsonlReader,
    JsonlWriter,
    locked,
    read_json,
    read_jsonl,
    update_json,
    write_json,
)


def test_appends_whole_lines_and_never_rewrites(tmp_path):
    path = tmp_path / "m.jsonl"
    writer = JsonlWriter(path)
    writer.append({"step": 0, "loss": 1.0})
    before = path.read_bytes()
    inode = os.stat(path).st_ino
    for i in range(1, 100):
        writer.append({"step": i, "loss": 1.0 / (i + 1)})
    writer.close()
    data = path.read_bytes()
    assert data.startswith(before)  # earlier bytes untouched: appended, not rewritten
    assert os.stat(path).st_ino == inode
    assert data.endswith(b"\n") and data.count(b"\n") == 100
    records = read_jsonl(path)
    assert [r["step"] for r in records] == list(range(100))


def test_strict_json_refuses_nan(tmp_path):
    writer = JsonlWriter(tmp_path / "m.jsonl")
    with pytest.raises(ValueError):
        writer.append({"x": float("nan")})
    writer.close()
    assert read_jsonl(tmp_path / "m.jsonl") == []


def test_torn_last_line_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_bytes(b'{"step":0,"a":1}\n{"step":1,"a":2}\n{"step":2,"a"')
    with pytest.warns(StoreWarning, match="torn last line"):
        records = read_jsonl(path)
    assert [r["step"] for r in records] == [0, 1]


def test_writer_after_a_torn_line_starts_a_fresh_line(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_bytes(b'{"step":0,"a":1}\n{"step":1,"a"')
    writer = JsonlWriter(path)
    writer.append({"step": 2, "a": 3})
    writer.close()
    with pytest.warns(StoreWarning, match="corrupt line"):
        records = read_jsonl(path)
    assert [r["step"] for r in records] == [0, 2]


def test_reader_is_incremental_and_waits_for_a_line_being_written(tmp_path):
    path = tmp_path / "m.jsonl"
    reader = JsonlReader(path)
    assert reader.read_new() == []  # no file yet
    path.write_bytes(b'{"step":0}\n{"step":1')
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not final: a partial line is pending, not an error
        assert reader.read_new() == [{"step": 0}]
        assert reader.pending
        with open(path, "ab") as f:
            f.write(b"}\n")
        assert reader.read_new() == [{"step": 1}]
        assert reader.read_new() == []


def test_corrupt_middle_line_is_reported_with_its_line_number(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_bytes(b'{"step":0}\nnot json\n{"step":2}\n')
    with pytest.warns(StoreWarning, match=r"m\.jsonl:2: skipped corrupt line"):
        assert [r["step"] for r in read_jsonl(path)] == [0, 2]


def test_json_documents_are_replaced_atomically(tmp_path):
    path = tmp_path / "doc.json"
    assert read_json(path, {"d": 1}) == {"d": 1}
    write_json(path, {"a": 1})
    assert json.loads(path.read_text()) == {"a": 1}
    update_json(path, lambda d: {**d, "b": 2})
    assert read_json(path) == {"a": 1, "b": 2}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_folder_lock_is_reentrant(tmp_path):
    with locked(tmp_path), locked(tmp_path):  # a second flock in-process would deadlock
        update_json(tmp_path / "x.json", lambda d: {"n": 1}, {})
    assert read_json(tmp_path / "x.json") == {"n": 1}


def test_a_line_nested_deeper_than_json_reads_is_a_skipped_line(tmp_path):
    from runner.tracking.reading import read_document
    from runner.tui.tail import parse_lines

    deep = b"[" * 100_000
    path = tmp_path / "m.jsonl"
    path.write_bytes(b'{"step":0}\n' + deep + b'\n{"step":2}\n')
    with pytest.warns(StoreWarning, match=r"m\.jsonl:2: skipped corrupt line"):
        assert [r["step"] for r in read_jsonl(path)] == [0, 2]
    records, bad = parse_lines([b'{"step":0}', deep])
    assert [r["step"] for r in records] == [0] and bad == 1
    meta = tmp_path / "metadata.json"
    meta.write_bytes(deep)
    document, problem = read_document(meta)
    assert document is None and "nested deeper" in problem.reason
