"""Fixtures for the search tests: the tiny program on digits (tests/programs.py) as a file, and
a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.programs import TINY  # the tests of this folder import it from here too


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    pytest.importorskip("optuna")
    pytest.importorskip("torch")
    p = tmp_path / "tiny.neural"
    p.write_text(TINY)
    return p


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    for root in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (root / "initdb").exists():
            return root
    return None


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server on loopback, started for this test session and stopped after.

    NEURAL_TEST_PG_URL points at an existing server instead.
    """
    if os.environ.get("NEURAL_TEST_PG_URL"):
        yield os.environ["NEURAL_TEST_PG_URL"]
        return
    pytest.importorskip("psycopg2")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    run_as = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    if run_as and shutil.which("runuser") is None:
        pytest.skip("running PostgreSQL as root needs runuser")
    root = Path(tempfile.mkdtemp(prefix="neural_pg_"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if run_as:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"),
                    "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {sock}", "start"],
                   check=True, capture_output=True)
    try:
        deadline = time.time() + 20
        while True:
            r = subprocess.run([*run_as, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                                "-U", "postgres", "neural_test"], capture_output=True)
            if r.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.3)
        yield f"postgresql://postgres@127.0.0.1:{port}/neural_test"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
