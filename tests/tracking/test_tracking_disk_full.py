"""A full disk loses nothing that returned: on a real (tiny) tmpfs, a failed write leaves no
fragment that the next record would be glued to, and no temporary file."""

import os
import subprocess
import uuid
import warnings

import pytest

from runner.tracking import ExperimentTracker, StoreWarning
from runner.tracking.manager import load_history
from runner.tracking.store import write_json


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs (skipped where mounting is not permitted)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                          capture_output=True, timeout=10)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=10)


def fill(disk) -> "os.PathLike[str]":
    """Fill the disk up with a filler file; returns it (delete it to free the space)."""
    filler = disk / f"filler-{uuid.uuid4().hex[:6]}"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"x" * 1024)
        except OSError:
            pass
    return filler


def test_a_record_logged_after_a_full_disk_is_read_back(small_disk):
    tracker = ExperimentTracker("full", base_dir=small_disk / "store", auto_visualize=False,
                                capture_environment=False)
    tracker.log_metrics({"loss": 1.0}, step=0)
    filler = fill(small_disk)
    big = {f"metric_{i:04d}": float(i) for i in range(600)}  # ~12 KB: more than is left
    with pytest.raises(OSError):
        tracker.log_metrics(big, step=1)
    filler.unlink()
    assert tracker.log_metrics({"loss": 0.5}, step=2) == 2  # returned: must be kept
    log = os.path.join(tracker.experiment_dir, "metrics.jsonl")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StoreWarning)  # no fragment left to skip
        history = load_history(type(small_disk)(tracker.experiment_dir))
    tracker.close()
    assert [(r["step"], r.get("loss")) for r in history] == [(0, 1.0), (2, 0.5)]
    assert open(log, "rb").read().endswith(b"\n")


def test_a_failed_atomic_write_leaves_no_temporary_file(small_disk):
    folder = small_disk / "docs"
    folder.mkdir()
    write_json(folder / "doc.json", {"a": 1})
    filler = fill(small_disk)
    with pytest.raises(OSError):
        write_json(folder / "doc.json", {"big": "y" * 20000})
    filler.unlink()
    assert sorted(p.name for p in folder.iterdir()) == ["doc.json"]
    assert (folder / "doc.json").read_text().strip().startswith("{")


def test_a_failed_artifact_copy_leaves_no_temporary_folder(small_disk, tmp_path):
    tracker = ExperimentTracker("art", base_dir=small_disk / "store", auto_visualize=False,
                                capture_environment=False)
    source = tmp_path / "weights.bin"
    source.write_bytes(os.urandom(400_000))  # bigger than the whole disk
    with pytest.raises(OSError):
        tracker.log_artifact(source)
    tracker.close()
    leftovers = [p for p in (small_disk / "store").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
