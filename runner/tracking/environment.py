"""What ran, where: interpreter, packages, machine, git state and command line.

Captured once when an experiment starts so that a result can be reproduced. What cannot
change within a process (interpreter, packages, hardware) is computed once per process;
git state is read each time, with short timeouts, and is simply absent outside a repository
or without git. Nothing here imports an ML framework: GPU names come from frameworks that
are already loaded or from `nvidia-smi`.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

# Distributions whose versions go into metadata.json; the full list is the requirements artifact.
KEY_PACKAGES = (
    "neural-dsl", "numpy", "torch", "tensorflow", "keras", "jax", "scikit-learn", "optuna",
    "mlflow", "wandb", "tensorboard", "matplotlib", "pandas",
)
GIT_TIMEOUT_S = 5.0


@functools.lru_cache(maxsize=1)
def installed_packages() -> dict[str, str]:
    """Every installed distribution -> version (cached per process). Read from the header
    lines of each METADATA file: `dist.metadata` and `dist.version` ran the e-mail parser over
    every whole file twice, 0.3-0.6 s on the way to a run's first epoch."""
    import importlib.metadata as md

    packages: dict[str, str] = {}
    for dist in md.distributions():
        name, version = _name_and_version(dist)
        if name:
            packages.setdefault(name, version)
    return dict(sorted(packages.items(), key=lambda kv: kv[0].lower()))


def _name_and_version(dist: Any) -> tuple[str | None, str]:
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if text is None:
        return dist.metadata["Name"], dist.version
    name = version = None
    for line in text.split("\n\n", 1)[0].splitlines():  # the headers end at the first blank line
        key, _, value = line.partition(":")
        if key == "Name" and name is None:
            name = value.strip()
        elif key == "Version" and version is None:
            version = value.strip()
    if name is None or version is None:  # an unusual file: let the full parser decide
        return dist.metadata["Name"], dist.version
    return name, version


def requirements_text() -> str:
    """The installed packages as `name==version` lines, like `pip freeze`."""
    return "".join(f"{name}=={version}\n" for name, version in installed_packages().items())


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except Exception:
        try:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return None


def _gpus() -> list[dict[str, Any]]:
    """GPUs as seen by an already-imported torch, else by nvidia-smi; [] if none."""
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                return [
                    {"name": torch.cuda.get_device_name(i), "source": "torch"}
                    for i in range(torch.cuda.device_count())
                ]
        except Exception:
            pass
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run(
                [smi, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=True,
            ).stdout
            gpus = []
            for line in out.splitlines():
                parts = [p.strip() for p in line.split(",")]
                if parts and parts[0]:
                    gpus.append({
                        "name": parts[0],
                        "memory": parts[1] if len(parts) > 1 else None,
                        "driver": parts[2] if len(parts) > 2 else None,
                        "source": "nvidia-smi",
                    })
            return gpus
        except (OSError, subprocess.SubprocessError):
            pass
    return []


@functools.lru_cache(maxsize=1)
def _static_environment() -> dict[str, Any]:
    packages = installed_packages()
    lowered = {name.lower(): version for name, version in packages.items()}
    return {
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "hostname": socket.gethostname(),
        },
        "cpu": {"model": _cpu_model(), "count": os.cpu_count()},
        "memory_bytes": _memory_bytes(),
        "gpus": _gpus(),
        "packages": {name: lowered[name] for name in KEY_PACKAGES if name in lowered},
    }


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT_S,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace")


def git_state(cwd: str | os.PathLike[str] | None = None) -> tuple[dict[str, Any] | None, str]:
    """(git info, diff text) for the repository containing `cwd`; (None, "") outside one."""
    where = Path(cwd or os.getcwd())
    if shutil.which("git") is None:
        return None, ""
    top = _git(["rev-parse", "--show-toplevel"], where)
    if top is None:
        return None, ""
    commit = _git(["rev-parse", "HEAD"], where)
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], where)
    status = _git(["status", "--porcelain", "--untracked-files=normal"], where) or ""
    changed = [line for line in status.splitlines() if line.strip()]
    if commit is not None:
        diff = _git(["diff", "HEAD", "--no-color", "--no-ext-diff"], where) or ""
    else:  # no commit yet: everything staged is the change
        diff = _git(["diff", "--cached", "--no-color", "--no-ext-diff"], where) or ""
    info = {
        "root": top.strip(),
        "commit": commit.strip() if commit else None,
        "branch": branch.strip() if branch else None,
        "dirty": bool(changed),
        "changed_files": len(changed),
        "untracked_files": sum(1 for line in changed if line.startswith("??")),
    }
    return info, diff


def capture_environment(cwd: str | os.PathLike[str] | None = None) -> tuple[dict[str, Any], str]:
    """(environment for metadata.json, git diff text to store as an artifact)."""
    env = dict(_static_environment())
    git, diff = git_state(cwd)
    env["git"] = git
    env["command"] = {
        "argv": list(sys.argv),
        "cwd": os.getcwd(),
        "pid": os.getpid(),
    }
    return env, diff
