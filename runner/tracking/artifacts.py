"""Versioned artifacts: every logged version is copied into the store with its SHA-256.

Layout: `artifacts/<name>/v<N>/<file>` plus an index in `artifacts.json`. Names are single
path components, checked before anything touches the disk, so no name can reach outside
the experiment folder. Copy and hash happen in one pass over the file, into a temporary
folder renamed into place, so an interrupted copy never appears as a version.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runner.tracking.errors import UnsafeNameError
from runner.tracking.store import locked, read_json, update_json

INDEX_FILE = "artifacts.json"
ARTIFACTS_DIR = "artifacts"
_CHUNK = 1 << 20


def safe_name(name: str, what: str = "artifact name") -> str:
    """`name` if it is one harmless path component; UnsafeNameError otherwise."""
    if not isinstance(name, str) or not name.strip():
        raise UnsafeNameError(f"{what} must be a non-empty string, got {name!r}")
    if name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise UnsafeNameError(
            f"{what} {name!r} is refused: it must be a plain file name without '/', '\\' "
            "or '..', so that it stays inside the experiment folder"
        )
    if len(name.encode("utf-8")) > 200:
        raise UnsafeNameError(f"{what} {name[:40]!r}... is longer than 200 bytes")
    return name


@dataclass(frozen=True)
class ArtifactVersion:
    """One stored version of an artifact; `path` is the absolute path of the stored copy."""

    name: str
    version: int
    path: str
    checksum: str
    size: int
    timestamp: float
    type: str = "artifact"
    framework: str | None = None
    source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _copy_file(src: Path, dst: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(_CHUNK):
            digest.update(chunk)
            fout.write(chunk)
            size += len(chunk)
    shutil.copystat(src, dst, follow_symlinks=True)
    return digest.hexdigest(), size


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _tree_digest(entries: list[tuple[str, str]]) -> str:
    """A directory's checksum: SHA-256 over its sorted (relative path, file SHA-256) pairs."""
    digest = hashlib.sha256()
    for rel, sha in sorted(entries):
        digest.update(f"{rel}\0{sha}\n".encode())
    return digest.hexdigest()


def copy_and_hash(src: Path, dst: Path) -> tuple[str, int]:
    """Copy a file or folder to `dst`, returning (sha256, size in bytes) of what was copied."""
    if src.is_dir():
        entries: list[tuple[str, str]] = []
        total = 0
        for root, dirs, files in os.walk(src):
            dirs.sort()
            rel_root = Path(root).relative_to(src)
            (dst / rel_root).mkdir(parents=True, exist_ok=True)
            for fname in sorted(files):
                sha, size = _copy_file(Path(root) / fname, dst / rel_root / fname)
                entries.append(((rel_root / fname).as_posix(), sha))
                total += size
        dst.mkdir(parents=True, exist_ok=True)
        return _tree_digest(entries), total
    return _copy_file(src, dst)


def checksum_of(path: Path) -> str:
    """SHA-256 of a stored file, or of a stored folder the way copy_and_hash computed it."""
    if path.is_dir():
        entries = []
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for fname in files:
                full = Path(root) / fname
                entries.append((full.relative_to(path).as_posix(), _hash_file(full)))
        return _tree_digest(entries)
    return _hash_file(path)


class ArtifactStore:
    """The artifacts of one experiment folder."""

    def __init__(self, experiment_dir: str | os.PathLike[str]) -> None:
        self.root = Path(experiment_dir)
        self.index_path = self.root / INDEX_FILE

    def _from_entry(self, name: str, entry: dict[str, Any]) -> ArtifactVersion:
        data = dict(entry)
        data["path"] = str(self.root / data["path"])
        known = ArtifactVersion.__dataclass_fields__
        extra = {k: v for k, v in data.items() if k not in known}
        data = {k: v for k, v in data.items() if k in known}
        data.setdefault("metadata", {}).update(extra)
        return ArtifactVersion(**{**data, "name": name})

    def log(
        self,
        path: str | os.PathLike[str],
        name: str | None = None,
        version: bool = True,
        kind: str = "artifact",
        framework: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ArtifactVersion:
        """Copy `path` in as the next version of `name` (only version, if version=False)."""
        src = Path(path)
        if not src.exists():
            raise FileNotFoundError(f"artifact {str(path)!r} does not exist")
        file_name = Path(os.path.abspath(src)).name or "artifact"  # a symlink keeps its name
        name = safe_name(name if name is not None else file_name)
        base = self.root / ARTIFACTS_DIR / name
        with locked(self.root):
            index = read_json(self.index_path, {}) or {}
            versions = index.get(name, {}).get("versions", []) if version else []
            number = versions[-1]["version"] + 1 if versions else 1
            base.mkdir(parents=True, exist_ok=True)
            tmp = base / f".v{number}.{os.getpid()}.tmp"
            if tmp.exists():
                shutil.rmtree(tmp)
            tmp.mkdir()
            try:
                checksum, size = copy_and_hash(src, tmp / file_name)
            except BaseException:  # a full disk: no half copy is left behind
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            if not version:  # keep a single copy: drop every earlier version
                for old in base.iterdir():
                    if old != tmp:
                        shutil.rmtree(old) if old.is_dir() else old.unlink()
            final = base / f"v{number}"
            os.replace(tmp, final)
            entry = {
                "version": number,
                "path": (final / file_name).relative_to(self.root).as_posix(),
                "checksum": checksum,
                "size": size,
                "timestamp": time.time(),
                "type": kind,
                "framework": framework,
                "source": os.path.abspath(src),
                "metadata": dict(metadata or {}),
            }

            def add(data: dict[str, Any] | None) -> dict[str, Any]:
                data = data or {}
                slot = data.setdefault(name, {"versions": []})
                if not version:
                    slot["versions"] = []
                slot["type"] = kind
                slot["versions"].append(entry)
                return data

            update_json(self.index_path, add, {})
        return self._from_entry(name, entry)

    def names(self) -> list[str]:
        return sorted(read_json(self.index_path, {}) or {})

    def versions(self, name: str) -> list[ArtifactVersion]:
        """All versions of `name`, oldest first ([] for an unknown name)."""
        index = read_json(self.index_path, {}) or {}
        return [self._from_entry(name, e) for e in index.get(name, {}).get("versions", [])]

    def get(self, name: str, version: int = -1) -> ArtifactVersion:
        """Version number `version` (1, 2, ...) or, if negative, counted from the latest (-1)."""
        versions = self.versions(name)
        if not versions:
            raise KeyError(f"no artifact named {name!r}; known: {', '.join(self.names()) or 'none'}")
        if version < 0:
            if -version > len(versions):
                raise KeyError(
                    f"artifact {name!r} has {len(versions)} version(s); index {version} is out of range"
                )
            return versions[version]
        for item in versions:
            if item.version == version:
                return item
        numbers = ", ".join(str(v.version) for v in versions)
        raise KeyError(f"artifact {name!r} has no version {version} (versions: {numbers})")

    def verify(self, name: str, version: int = -1) -> bool:
        """True if the stored copy still has the SHA-256 recorded when it was logged."""
        item = self.get(name, version)
        stored = Path(item.path)
        if not stored.exists():
            return False
        return checksum_of(stored) == item.checksum

    def verify_all(self) -> dict[str, dict[int, bool]]:
        return {
            name: {v.version: self.verify(name, v.version) for v in self.versions(name)}
            for name in self.names()
        }
