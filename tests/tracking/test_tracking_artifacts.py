import hashlib
import os
from pathlib import Path

import pytest

from runner.tracking import UnsafeNameError


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_each_version_is_copied_with_checksum_size_and_time(make_tracker, tmp_path):
    tracker = make_tracker()
    src = tmp_path / "weights.bin"
    contents = [b"first", b"second version", b"third!"]
    for data in contents:
        src.write_bytes(data)
        tracker.log_artifact(src)
    src.write_bytes(b"changed after logging")
    versions = tracker.list_artifact_versions("weights.bin")
    assert [v.version for v in versions] == [1, 2, 3]
    for v, data in zip(versions, contents, strict=True):
        assert Path(v.path).read_bytes() == data  # a copy, independent of the source
        assert v.checksum == sha(data) and v.size == len(data)
        assert Path(v.path).relative_to(Path(tracker.experiment_dir)).parts[:3] == (
            "artifacts", "weights.bin", f"v{v.version}")
    assert versions[0].timestamp <= versions[1].timestamp <= versions[2].timestamp


def test_negative_and_positive_version_indices(make_tracker, tmp_path):
    tracker = make_tracker()
    src = tmp_path / "a.txt"
    for i in range(3):
        src.write_text(str(i))
        tracker.log_artifact(src, name="a.txt")
    assert tracker.get_artifact_version("a.txt", -1).version == 3
    assert tracker.get_artifact_version("a.txt", -3).version == 1
    assert tracker.get_artifact_version("a.txt", 2).version == 2
    with pytest.raises(KeyError, match="has 3 version"):
        tracker.get_artifact_version("a.txt", -4)
    with pytest.raises(KeyError, match="no version 7"):
        tracker.get_artifact_version("a.txt", 7)
    with pytest.raises(KeyError, match="no artifact named 'b.txt'"):
        tracker.get_artifact_version("b.txt")


def test_log_model_lines_up_checkpoints_as_versions(make_tracker, tmp_path):
    tracker = make_tracker()
    for epoch in (10, 20, 30):
        ckpt = tmp_path / f"model_{epoch}.pt"
        ckpt.write_bytes(f"epoch {epoch}".encode())
        tracker.log_model(ckpt, framework="pytorch", version=True)
    versions = tracker.list_artifact_versions("model.pt")  # the tracking guide's example
    assert [Path(v.path).name for v in versions] == ["model_10.pt", "model_20.pt", "model_30.pt"]
    assert {v.framework for v in versions} == {"pytorch"} and versions[0].type == "model"
    assert Path(tracker.get_artifact_version("model.pt", -1).path).read_bytes() == b"epoch 30"


def test_version_false_keeps_a_single_copy(make_tracker, tmp_path):
    tracker = make_tracker()
    src = tmp_path / "cfg.yaml"
    src.write_text("a: 1")
    tracker.log_artifact(src, version=False)
    src.write_text("a: 2")
    tracker.log_artifact(src, version=False)
    (only,) = tracker.list_artifact_versions("cfg.yaml")
    assert Path(only.path).read_text() == "a: 2"
    assert len(list((Path(tracker.experiment_dir) / "artifacts" / "cfg.yaml").iterdir())) == 1


def test_folders_are_artifacts_too(make_tracker, tmp_path):
    tracker = make_tracker()
    saved = tmp_path / "saved_model"
    (saved / "variables").mkdir(parents=True)
    (saved / "saved_model.pb").write_bytes(b"graph")
    (saved / "variables" / "v.data").write_bytes(b"weights")
    stored = tracker.log_model(saved, framework="tensorflow")
    assert stored.name == "model" and stored.size == len(b"graph") + len(b"weights")
    assert (Path(stored.path) / "variables" / "v.data").read_bytes() == b"weights"
    assert tracker.verify_artifact("model")
    (Path(stored.path) / "variables" / "v.data").write_bytes(b"tampered")
    assert not tracker.verify_artifact("model")


def test_checksum_verification_detects_changes_and_loss(make_tracker, tmp_path):
    tracker = make_tracker()
    src = tmp_path / "m.bin"
    src.write_bytes(b"abc")
    tracker.log_artifact(src)
    src.write_bytes(b"abcd")
    tracker.log_artifact(src)
    assert tracker.verify_artifacts() == {"m.bin": {1: True, 2: True}}
    Path(tracker.get_artifact_version("m.bin", 1).path).write_bytes(b"xyz")
    os.remove(tracker.get_artifact_version("m.bin", 2).path)
    assert tracker.verify_artifacts() == {"m.bin": {1: False, 2: False}}


@pytest.mark.parametrize("name", ["../escape.txt", "../../x", "/etc/evil", "a/b", "..", ".",
                                  "", "dir\\file", "nul\x00byte"])
def test_names_that_would_escape_the_store_are_refused(make_tracker, tmp_path, name):
    tracker = make_tracker()
    src = tmp_path / "payload.txt"
    src.write_text("payload")
    before = sorted(p for p in tmp_path.rglob("*") if "store" not in p.parts)
    with pytest.raises(UnsafeNameError):
        tracker.log_artifact(src, name=name)
    with pytest.raises(UnsafeNameError):
        tracker.log_model(src, framework="x", name=name)
    after = sorted(p for p in tmp_path.rglob("*") if "store" not in p.parts)
    assert after == before
    assert not (Path(tracker.experiment_dir) / "artifacts").exists()
    assert tracker.artifacts == {}


def test_missing_source_is_a_clear_error(make_tracker, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_tracker().log_artifact(tmp_path / "nope.pt")


def test_log_figure_saves_a_plot_and_a_versioned_copy(make_tracker):
    from matplotlib.figure import Figure

    tracker = make_tracker()
    fig = Figure()
    fig.add_subplot().plot([1, 2, 3], [4, 5, 6])
    path = tracker.log_figure(fig, "my_plot")
    assert path.endswith("plots/my_plot.png")
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (stored,) = tracker.list_artifact_versions("my_plot.png")
    assert stored.type == "figure" and stored.checksum == sha(Path(path).read_bytes())
    with pytest.raises(UnsafeNameError):
        tracker.log_figure(fig, "../../outside")
