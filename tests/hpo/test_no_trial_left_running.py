"""No trial is left RUNNING and no worker outlives its search: real `neural run --hpo`
processes killed with -9 and SIGTERM, a real journal study, a real experiment store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hpo.conftest import TINY

pytestmark = pytest.mark.torch

LONG = TINY.replace("epochs: 2", "epochs: 400")  # a trial that runs until we stop it


def _start(cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "runner", "run", "tiny.neural", "--hpo", "--search", "random",
                             "--seed", "0", "--dataset", "digits", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _study(cwd: Path):
    import optuna

    from runner.hpo.storage import open_storage

    (journal,) = (cwd / "neural_experiments" / "hpo").glob("tiny-Tiny-*/journal.log")
    name = journal.parent.name
    return optuna.load_study(study_name=name, storage=open_storage(str(journal), cwd, name))


def _wait_running(cwd: Path, n: int, timeout: float = 240) -> list:
    """Until n trials are RUNNING with their worker and experiment recorded."""
    from optuna.trial import TrialState

    end = time.time() + timeout
    while time.time() < end:
        time.sleep(0.5)
        try:
            study = _study(cwd)
        except (ValueError, KeyError):
            continue
        running = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                   if "worker" in t.user_attrs and "experiment_dir" in t.user_attrs]
        if len(running) >= n:
            return running
    raise AssertionError(f"{n} running trial(s) did not appear within {timeout} s")


def _status(exp_dir: str) -> str:
    return json.loads((Path(exp_dir) / "metadata.json").read_text())["status"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def long_tiny(tmp_path: Path) -> Path:
    pytest.importorskip("optuna")
    pytest.importorskip("torch")
    (tmp_path / "tiny.neural").write_text(LONG)
    return tmp_path


def test_kill_9_leaves_a_trial_that_the_resumed_study_fails_and_marks_interrupted(long_tiny):
    cwd = long_tiny
    p = _start(cwd, "--trials", "2")
    try:
        (t,) = _wait_running(cwd, 1)
        p.kill()
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    from optuna.trial import TrialState

    assert _study(cwd).get_trials()[t.number].state == TrialState.RUNNING  # what kill -9 leaves
    again = subprocess.run([sys.executable, "-m", "runner", "run", "tiny.neural", "--hpo", "--search", "random",
                            "--seed", "0", "--dataset", "digits", "--trials", "1"],
                           cwd=cwd, capture_output=True, text=True, timeout=600)
    # the same command resumes the same study (other --epochs would be another study)
    assert "resuming study tiny-Tiny-" in again.stderr, again.stderr
    assert f"1 left RUNNING by a worker that died (#{t.number}) now FAIL" in again.stderr
    trials = _study(cwd).get_trials()
    assert trials[t.number].state == TrialState.FAIL
    assert "interrupted" in trials[t.number].user_attrs["error"]
    assert not [x for x in trials if x.state == TrialState.RUNNING]
    assert _status(t.user_attrs["experiment_dir"]) == "interrupted"


def test_sigterm_of_a_parallel_search_ends_every_trial_and_writes_results(long_tiny):
    cwd = long_tiny
    p = _start(cwd, "--trials", "4", "--parallel", "2")
    try:
        running = _wait_running(cwd, 2)
        p.send_signal(signal.SIGTERM)  # how editors cancel
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err
    from optuna.trial import TrialState

    trials = _study(cwd).get_trials()
    assert trials and not [t for t in trials if t.state == TrialState.RUNNING]
    for t in running:
        assert trials[t.number].state == TrialState.FAIL
        assert _status(t.user_attrs["experiment_dir"]) == "interrupted"
        assert not _alive(t.user_attrs["worker"]["pid"])
    (results,) = (cwd / "neural_experiments" / "hpo").glob("tiny-Tiny-*/hpo_results.json")
    data = json.loads(results.read_text())
    assert sorted(t["state"] for t in data["trials"]) == sorted(t.state.name for t in trials)


def test_workers_die_with_a_killed_parent_and_end_their_trials(long_tiny):
    cwd = long_tiny
    p = _start(cwd, "--trials", "4", "--parallel", "2")
    try:
        running = _wait_running(cwd, 2)
        p.kill()
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    pids = [t.user_attrs["worker"]["pid"] for t in running]
    end = time.time() + 60
    while any(_alive(pid) for pid in pids) and time.time() < end:
        time.sleep(0.5)
    assert not [pid for pid in pids if _alive(pid)], "a worker outlived its search"
    from optuna.trial import TrialState

    trials = _study(cwd).get_trials()
    for t in running:
        assert trials[t.number].state == TrialState.FAIL
        assert _status(t.user_attrs["experiment_dir"]) == "interrupted"


def test_two_commands_creating_one_new_sqlite_storage_at_once(tmp_path):
    pytest.importorskip("optuna")
    code = ("import sys; from runner.hpo.storage import open_storage; "
            "import optuna; s = open_storage(sys.argv[1], '.', 'x'); "
            "optuna.create_study(study_name='race', storage=s, load_if_exists=True)")
    for i in range(5):  # without the lock, about 3 rounds in 5 fail (alembic_version UNIQUE constraint)
        url = f"sqlite:///{tmp_path / f'race{i}.db'}"
        procs = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
