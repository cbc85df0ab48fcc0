"""A store with one healthy experiment and one of each kind of damage, shared by the tests of
every reader (`neural track`, the web UI, the TUI): each must list the healthy one and show
every damaged one as `corrupt` with the file and the reason."""

from __future__ import annotations

import json
import os
from pathlib import Path

from runner.tracking import ExperimentTracker

# name -> (file, what each reader must say about it)
DAMAGE = {
    "truncated_meta": ("metadata.json", "not valid JSON"),
    "empty_meta": ("metadata.json", "is empty"),
    "latin1_meta": ("metadata.json", "not UTF-8"),
    "garbage_summary": ("summary.json", "not valid JSON"),
    "string_start": ("metadata.json", "start_timestamp is a string"),
    "list_meta": ("metadata.json", "holds a list"),
    "log_is_dir": ("metrics.jsonl", "is a directory"),
}


def _experiment(base: Path, name: str, steps: int = 3) -> Path:
    tracker = ExperimentTracker(name, base_dir=base, auto_visualize=False,
                                capture_environment=False)
    for step in range(steps):
        tracker.log_metrics({"loss": 1.0 / (step + 1)}, step=step)
    tracker.finish()
    return Path(tracker.experiment_dir)


def build_damaged_store(base: Path) -> dict[str, Path]:
    """The folders by name: "healthy", "huge_step" (a record with step 1e400, which readers
    skip as a bad line) and every key of DAMAGE."""
    folders = {"healthy": _experiment(base, "healthy")}
    huge = _experiment(base, "huge_step")
    with open(huge / "metrics.jsonl", "ab") as f:
        f.write(b'{"step": 1e400, "timestamp": 1.0, "loss": 0.1}\n')
    folders["huge_step"] = huge
    for name in DAMAGE:
        folders[name] = _experiment(base, name)
    meta = folders["truncated_meta"] / "metadata.json"
    meta.write_bytes(meta.read_bytes()[:40])
    (folders["empty_meta"] / "metadata.json").write_bytes(b"")
    meta = folders["latin1_meta"] / "metadata.json"
    meta.write_bytes(meta.read_bytes().replace(b'"latin1_meta"', b'"caf\xe9"'))
    (folders["garbage_summary"] / "summary.json").write_bytes(b"\x00\x01 not json {")
    meta = folders["string_start"] / "metadata.json"
    doc = json.loads(meta.read_text())
    doc["start_timestamp"] = "yesterday"
    meta.write_text(json.dumps(doc))
    meta = folders["list_meta"] / "metadata.json"
    meta.write_text(json.dumps([json.loads(meta.read_text())]))
    log = folders["log_is_dir"] / "metrics.jsonl"
    os.remove(log)
    log.mkdir()
    return folders
