"""Searches on a real Dask cluster: a `dask scheduler` and two `dask worker`s on 127.0.0.1, real
Optuna studies kept on the scheduler, real training on digits, one worker killed mid-search."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from runner.hpo import Executor, HPOptimizer, Search, SearchConfig
from runner.hpo.executors import CloudExecutor, DistributedExecutor, cluster_class
from runner.program import ProgramError
from tests.hpo.conftest import TINY

pytest.importorskip("distributed")
pytest.importorskip("optuna_integration")
pytestmark = [pytest.mark.torch, pytest.mark.timeout(1200)]

BIN = Path(sys.executable).parent
STARTUP = 90  # seconds a worker may take to start on a loaded machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """`dask scheduler` and `dask worker` processes on loopback; workers without a nanny, so a
    killed worker stays dead."""

    def __init__(self, root: Path, workers: int = 2) -> None:
        self.root = root
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.procs: list[subprocess.Popen] = []
        self.workers: dict[str, subprocess.Popen] = {}
        self._start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                     "--port", self.address.rsplit(":", 1)[1], "--no-dashboard",
                     "--dashboard-address", "127.0.0.1:0"], "scheduler")
        for i in range(workers):
            self.workers[f"w{i}"] = self._start(
                [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--no-nanny",
                 "--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                 "--name", f"w{i}"], f"w{i}")
        from distributed import Client

        with Client(self.address, timeout=STARTUP, set_as_default=False) as c:
            c.wait_for_workers(workers, timeout=STARTUP)
            self.addresses = {info["name"]: addr for addr, info in c.scheduler_info()["workers"].items()}

    def _start(self, cmd: list[str], name: str) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.root)
        self.procs.append(p)
        return p

    def kill(self, name: str) -> None:
        self.workers[name].send_signal(signal.SIGKILL)
        self.workers[name].wait(timeout=30)

    def kill_scheduler(self) -> None:
        self.procs[0].send_signal(signal.SIGKILL)
        self.procs[0].wait(timeout=30)

    def tails(self, chars: int = 3000) -> str:
        """The end of each process's log, for a failure's message."""
        return "\n".join(f"--- {p.name} (end)\n{p.read_text(errors='replace')[-chars:]}"
                         for p in sorted(self.root.glob("*.log")))

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("dask"))
    yield c
    c.stop()


@pytest.fixture
def own_cluster(tmp_path):
    """A cluster for one test: one whose processes the test disturbs (a worker or the scheduler
    killed, a client interrupted), or whose verdict needs a connection nothing else touched."""
    (tmp_path / "c").mkdir()
    c = Cluster(tmp_path / "c", workers=2)
    yield c
    c.stop()


class SearchThread:
    """A search run in a thread (beside a UI under test): its result, or what it raised."""

    def __init__(self, run) -> None:
        self.result = None
        self.error: BaseException | None = None

        def target() -> None:
            try:
                self.result = run()
            except BaseException as exc:  # noqa: BLE001 - reported by the test, not swallowed
                self.error = exc

        self.thread = threading.Thread(target=target, name="search", daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def report(self, cluster: Cluster) -> str:
        """What the search thread did and what the cluster logged, for an assertion message."""
        import traceback

        if self.alive():
            state = "the search is still running"
        elif self.error is not None:
            state = "the search raised:\n" + "".join(traceback.format_exception(self.error))
        else:
            state = f"the search returned {self.result!r:.300}"
        return f"{state}\n{cluster.tails()}"


@pytest.fixture
def program(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.neural"
    p.write_text(TINY)
    return p


def _config(program: Path, **kw) -> SearchConfig:
    return SearchConfig(**{"n_trials": 4, "seed": 0, "track": True, "base_dir": str(program.parent / "store"),
                           "dataset": "digits", "num_samples": 400, "study_name": f"s{time.time_ns()}",
                           **kw})


def _cli(*args, cwd, timeout=900):
    return subprocess.run([sys.executable, "-m", "runner", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def test_cli_search_on_two_workers_brings_every_record_home(cluster, program):
    r = _cli("run", program.name, "--hpo", "--executor", "dask", "--scheduler", cluster.address,
             "--trials", "4", "--search", "random", "--seed", "1", "--dataset", "digits", cwd=program.parent)
    assert r.returncode == 0, r.stderr
    assert "optimized program: tiny.optimized.neural" in r.stdout  # written here, on the client
    assert f"Dask scheduler {cluster.address}" in r.stderr
    assert (program.parent / "tiny.optimized.neural").exists()
    [path] = (program.parent / "neural_experiments/hpo").glob("tiny-Tiny-*/hpo_results.json")
    results = json.loads(path.read_text())
    trials = results["trials"]
    assert len(trials) == 4 and {t["state"] for t in trials} <= {"COMPLETE", "PRUNED"}
    workers = set(cluster.addresses.values())
    assert {t["worker"]["address"] for t in trials} == workers  # two slots in flight: both workers ran trials
    from runner.tracking import ExperimentManager

    exps = ExperimentManager(str(program.parent / "neural_experiments")).list_experiments()
    assert len(exps) == 4
    by_trial = {int(e["tags"]["trial"]): e for e in exps}
    for t in trials:
        exp = by_trial[t["number"]]
        assert exp["tags"]["worker"] == t["worker"]["address"]
        assert exp["status"] == {"COMPLETE": "completed", "PRUNED": "pruned"}[t["state"]]
        assert t["experiment_dir"] and Path(t["experiment_dir"]).is_dir()
        metrics = [json.loads(line) for line in (Path(t["experiment_dir"]) / "metrics.jsonl").read_text().splitlines()]
        assert [m["val_loss"] for m in metrics] == [e["val_loss"] for e in t["epochs"]]


def test_python_api_with_a_lambda_metric_and_optimizer_trials(cluster, program):
    opt = HPOptimizer("random", n_trials=3, seed=0, track=False, base_dir=str(program.parent / "store"),
                      num_samples=400, executor=cluster.address, study_name="api")
    best = opt.optimize(TINY, "digits", metric=lambda y_true, y_pred: float((y_pred.argmax(1) == y_true).mean()),
                        path=str(program))
    assert best and len(opt.trials) == 3
    assert opt.trials.metric == "val_custom_metric" and opt.trials.direction == "maximize"
    assert all(t.user_attrs["worker"]["address"] in cluster.addresses.values() for t in opt.trials)
    for t in opt.trials:
        if t.state.name == "COMPLETE":
            assert t.value == max(e["val_custom_metric"] for e in t.user_attrs["epochs"])


def test_a_metric_dask_cannot_serialize_fails_before_the_first_trial(cluster, program):
    lock = threading.Lock()

    def holds_a_lock(y_true, y_pred):
        with lock:
            return 0.0

    search = Search(TINY, program, None, None, "random", _config(program, metric=holds_a_lock))
    with DistributedExecutor(cluster.address) as ex, pytest.raises(ProgramError, match="cannot be sent to Dask workers"):
        search.run(executor=ex)
    assert ex._client is None  # closed


def test_unreachable_scheduler_is_one_clear_error_within_seconds(program):
    began = time.monotonic()
    r = _cli("run", program.name, "--hpo", "--executor", "dask", "--scheduler",
             f"tcp://127.0.0.1:{_free_port()}", "--trials", "2", cwd=program.parent)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:" in r.stderr and "within 5 s" in r.stderr
    assert time.monotonic() - began < 60  # 5 s to connect, plus start-up on a busy machine
    r = _cli("run", program.name, "--hpo", "--executor", "dask", cwd=program.parent)
    assert r.returncode == 1 and "--executor dask needs --scheduler" in r.stderr


def test_a_port_held_by_something_else_is_one_clear_error_within_seconds(program):
    """A listener that accepts and keeps quiet (another service on the port): distributed's
    handshake read has no timeout, so the client waited forever."""
    with socket.socket() as quiet:
        quiet.bind(("127.0.0.1", 0))
        quiet.listen(8)
        address = f"tcp://127.0.0.1:{quiet.getsockname()[1]}"
        began = time.monotonic()
        r = _cli("compile", program.name, "--backend", "pytorch", "--hpo", "--executor", "dask",
                 "--scheduler", address, "--trials", "2", cwd=program.parent, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"cannot reach the Dask scheduler at {address} within 5 s (no Dask handshake" in r.stderr
    assert time.monotonic() - began < 60


def test_cluster_specs_name_the_missing_package():
    with pytest.raises(ProgramError, match=r"needs the 'dask-kubernetes' package.*pip install 'dask-kubernetes'"):
        cluster_class("kubernetes")
    with pytest.raises(ProgramError, match="unknown cluster 'k8'"):
        cluster_class("k8")


def test_cloud_executor_starts_scales_and_closes_a_cluster_manager(program):
    ex = CloudExecutor("local", n_workers=2, processes=False, threads_per_worker=1,  # HTTP on loopback only:
                       dashboard_address="127.0.0.1:0", worker_dashboard_address="127.0.0.1:0")
    r = Search(TINY, program, None, None, "random", _config(program, n_trials=2, track=False)).run(executor=ex)
    started = ex._started
    assert len(r.trials) == 2 and r.best_value is not None
    ex.close()
    assert started is None or started.status.name == "closed"


class Serial(Executor):
    """A user's executor: the trials one after another in this process, counted."""

    name = "serial"

    def __init__(self) -> None:
        self.ran = 0

    def run(self, search, study, n_trials, reporter):
        study.optimize(search.objective, n_trials=n_trials)
        self.ran = n_trials


def test_a_user_executor_subclasses_the_base(program):
    ex = Serial()
    r = Search(TINY, program, None, None, "random", _config(program, n_trials=2, track=False)).run(executor=ex)
    assert ex.ran == 2 and len(r.trials) == 2


# --- failures: a dedicated cluster, since a worker dies ---------------------------------------

def test_a_killed_worker_fails_its_trial_and_the_search_goes_on(tmp_path, program):
    (tmp_path / "c").mkdir()
    c = Cluster(tmp_path / "c", workers=2)
    try:
        victim = c.addresses["w1"]
        killed: list[int] = []

        class KillOnStart:
            def trial_started(self, number, values, worker):
                if worker == victim and not killed:
                    killed.append(number)
                    c.kill("w1")

            def __call__(self, study, trial):
                pass

        text = TINY.replace("epochs: 2", "epochs: 8")
        program.write_text(text)
        search = Search(text, program, None, None, "random", _config(program, n_trials=4, pruner="none"))
        with DistributedExecutor(c.address) as ex:  # closed before its scheduler stops
            r = search.run(KillOnStart(), ex)
        assert killed, "no trial started on the victim"
        states = {t["number"]: t for t in r.trials}
        dead = states[killed[0]]
        assert dead["state"] == "FAIL" and dead["worker"]["address"] == victim
        assert "died" in dead["error"] or "KilledWorker" in dead["error"]
        others = [t for n, t in states.items() if n != killed[0]]
        assert len(r.trials) == 4 and all(t["state"] == "COMPLETE" for t in others)
        assert all(t["worker"]["address"] == c.addresses["w0"] for t in others if t["number"] > killed[0])
        from runner.tracking import ExperimentManager

        status = {int(e["tags"]["trial"]): e["status"] for e in ExperimentManager(search.config.base_dir).list_experiments()}
        assert status[killed[0]] == "failed"
    finally:
        c.stop()


def test_ctrl_c_on_the_client_cancels_the_remote_trials(own_cluster, program):
    from distributed import Client

    cluster = own_cluster  # an interrupted client: no later test inherits what it leaves

    program.write_text(TINY.replace("epochs: 2", "epochs: 200"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen([sys.executable, "-m", "runner", "run", program.name, "--hpo", "--executor", "dask",
                          "--scheduler", cluster.address, "--trials", "2", "--pruner", "none",
                          "--dataset", "digits", "--study", "cancel-me"],
                         cwd=program.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    store = program.parent / "neural_experiments"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(list(store.glob("Tiny_*/metrics.jsonl"))) < 2:
        time.sleep(0.5)  # both trials are training remotely and reporting home
    assert len(list(store.glob("Tiny_*/metrics.jsonl"))) == 2, p.stderr.read() if p.poll() is not None else ""
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130 and "interrupted" in err
    with Client(cluster.address, set_as_default=False) as client:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(client.processing().values()):
            time.sleep(0.5)
        assert not any(client.processing().values())  # the workers are free again
    from runner.tracking import ExperimentManager

    exps = ExperimentManager(str(store)).list_experiments()
    assert sorted(e["status"] for e in exps) == ["failed", "failed"]


def test_a_killed_scheduler_is_one_clear_error_and_the_records_stay(tmp_path, program):
    """kill -9 the scheduler while trial 1 trains (trial 0 done): one line naming the scheduler
    and what happened, no traceback; trial 1 FAIL in the experiments and the local copy,
    trial 0 as it was; hpo_results.json written from the copy; a non-zero exit."""
    import optuna

    from runner.hpo.mirror import MIRROR_FILE
    from runner.hpo.storage import open_storage
    from runner.tracking import ExperimentManager

    (tmp_path / "c").mkdir()
    c = Cluster(tmp_path / "c", workers=1)  # one slot: the trials run one after another
    p = None
    try:
        program.write_text(TINY.replace("epochs: 2", "epochs: 60"))
        p = subprocess.Popen([sys.executable, "-m", "runner", "run", program.name, "--hpo", "--executor", "dask",
                              "--scheduler", c.address, "--trials", "3", "--pruner", "none", "--dataset", "digits",
                              "--study", "lost"], cwd=program.parent, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        store = program.parent / "neural_experiments"

        def second_trial_reported() -> bool:
            files = [f for f in store.glob("Tiny_*/metrics.jsonl") if f.stat().st_size]
            return len(files) >= 2  # trial 0 done (one slot), trial 1 has an epoch

        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and p.poll() is None and not second_trial_reported():
            time.sleep(0.1)
        assert second_trial_reported(), (p.communicate(timeout=60) if p.poll() is not None else "", c.tails())
        c.kill_scheduler()
        out, err = p.communicate(timeout=120)
    finally:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(timeout=30)
        c.stop()
    assert p.returncode == 1, err
    assert "Traceback" not in err and "Failed to reconnect" not in err, err
    [line] = [ln for ln in err.splitlines() if "error" in ln.lower()]
    assert line.startswith(f"neural: error: lost the Dask scheduler at {c.address}: the connection closed"), err
    assert "trial 1 in flight ended FAIL" in line and "hpo_results.json" in line, line
    status = {int(e["tags"]["trial"]): e["status"] for e in ExperimentManager(str(store)).list_experiments()}
    assert status == {0: "completed", 1: "failed"}
    copy = optuna.load_study(study_name="lost", storage=open_storage(str(store / "hpo/lost" / MIRROR_FILE), "", ""))
    held = {t.number: t for t in copy.get_trials()}
    assert sorted(held) == [0, 1] and held[0].state.name == "COMPLETE" and held[0].value is not None
    assert held[1].state.name == "FAIL" and held[1].user_attrs["error"] == f"lost the Dask scheduler at {c.address}"
    results = json.loads((store / "hpo/lost/hpo_results.json").read_text())
    assert [(t["number"], t["state"]) for t in results["trials"]] == [(0, "COMPLETE"), (1, "FAIL")]
    assert results["best"]["number"] == 0 and results["best"]["value"] == held[0].value


# --- the study comes home: a local copy `neural tui` reads while the trials run -------------

async def test_the_tui_shows_remote_trials_as_they_run(own_cluster, program):
    """The study lives on the scheduler; the client's copy under <base>/hpo/ is what the TUI
    reads: a trial RUNNING with its latest epoch, then every trial in its final state.
    The search starts once the TUI is up, and its trials run for seconds (at 40 epochs a warm
    trial took 0.3-0.6 s, the whole search 2 s: a TUI still starting could miss every RUNNING
    row). Its own cluster: no client or process another test left behind shares it."""
    import asyncio

    from textual.widgets import DataTable

    from runner.tui.app import NeuralTUI
    from tests.tui.helpers import wait_for

    cluster = own_cluster
    text = TINY.replace("epochs: 2", "epochs: 400")
    program.write_text(text)
    config = _config(program, n_trials=3, pruner="none")
    search = Search(text, program, None, None, "random", config)
    app = NeuralTUI(config.base_dir, interval=0.2, studies_interval=0.2)
    with DistributedExecutor(cluster.address) as ex:
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.press("2")
            studies = app.query_one("#study-table", DataTable)
            trials = app.query_one("#trial-table")
            runner = SearchThread(lambda: search.run(executor=ex))

            def rows() -> dict[str, list[str]]:
                return {k: [c.plain for c in trials.get_row(k)] for k in trials.visible_keys()}

            def running_with_a_report() -> bool:
                return any(r[2] == "RUNNING" and "@" in r[5] for r in rows().values())

            async def see(condition, timeout: float, what: str) -> None:
                try:
                    await wait_for(pilot, condition, timeout=timeout, what=what)
                except AssertionError as exc:
                    raise AssertionError(f"{exc}; rows {rows()}\n{runner.report(cluster)}") from None

            await see(lambda: studies.row_count == 1 and str(studies.get_row_at(0)[3]) == "val_loss",
                      120, "the study and its metric (set just after the copy is created)")
            row = [str(c) for c in studies.get_row_at(0)]
            assert row[0] == search.study_name and row[1].endswith("(Dask)") and row[3] == "val_loss"
            await see(running_with_a_report, 120, "a remote trial running, with an epoch")
            for _ in range(1200):  # the search ends within 10 minutes
                if not runner.alive():
                    break
                await asyncio.sleep(0.5)
            assert runner.result is not None, runner.report(cluster)
            await see(lambda: len(rows()) == 3 and all(r[2] == "COMPLETE" for r in rows().values()),
                      30, "every trial complete")
            best = runner.result.best_trial
            assert rows()[str(best)][0] == "★"
            shown = rows()
            for t in runner.result.trials:
                assert shown[str(t["number"])][5].endswith(f"@{len(t['epochs'])}")  # the last epoch's report


def test_the_local_copy_holds_the_study_as_the_scheduler_does(cluster, program):
    import optuna

    from runner.hpo.mirror import MIRROR_FILE
    from runner.hpo.storage import open_storage, study_dir

    config = _config(program, n_trials=2)
    r = Search(TINY, program, None, None, "random", config).run(executor=cluster.address)  # closes its client
    from distributed import Client

    def _clients(dask_scheduler) -> list[str]:  # local: sent by value (the scheduler cannot import tests)
        return sorted(c for c in dask_scheduler.clients if not c.startswith(("Client-worker-", "fire-and-forget")))

    with Client(cluster.address, set_as_default=False) as look:  # run() closed the client it made
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(look.run_on_scheduler(_clients)) > 1:
            time.sleep(0.2)
        assert look.run_on_scheduler(_clients) == [look.id]
    path = study_dir(config.base_dir, r.study_name) / MIRROR_FILE
    copy = optuna.load_study(study_name=r.study_name, storage=open_storage(str(path), config.base_dir, ""))
    assert copy.user_attrs["mirror_of"] == f"Dask scheduler {cluster.address}"
    assert copy.user_attrs["fingerprint"] == r.fingerprint
    held = copy.get_trials()
    assert [(t.number, t.state.name, t.value, t.params) for t in held] == \
        [(t["number"], t["state"], t["value"], t["params"]) for t in r.trials]
    for t, rec in zip(held, r.trials, strict=True):
        assert t.user_attrs["worker"] == rec["worker"] and t.user_attrs["experiment_dir"] == rec["experiment_dir"]
        assert {str(k): v for k, v in t.intermediate_values.items()} == rec["values_per_epoch"]
    # the same search again resumes the scheduler's study; the copy gains the new trials only
    with DistributedExecutor(cluster.address) as ex:
        r2 = Search(TINY, program, None, None, "random", config).run(executor=ex)
    assert len(r2.trials) == 4
    copy = optuna.load_study(study_name=r.study_name, storage=open_storage(str(path), config.base_dir, ""))
    assert [t.number for t in copy.get_trials()] == [0, 1, 2, 3]


def test_the_scheduler_and_workers_log_no_noise(cluster):
    """A new study probed and an existing one resumed (the tests above) raise nothing on the
    scheduler, and workers do not warn that DaskStorage is experimental."""
    logs = {p.name: p.read_text() for p in cluster.root.glob("*.log")}
    assert "Exception while handling op" not in logs["scheduler.log"], logs["scheduler.log"][-3000:]
    assert "KeyError" not in logs["scheduler.log"]
    for name in ("w0.log", "w1.log"):
        assert "ExperimentalWarning" not in logs[name], logs[name][-3000:]


def test_a_remote_trials_record_costs_the_client_no_plotting(program):
    """The client writes each remote trial's experiment between polls; its plots go to the
    search's plot helper (another process), so no trial's end stalls the loop while matplotlib
    draws (a standalone tracker drew them in finish(): seconds per trial on a loaded machine)."""
    import cProfile
    import pstats

    from runner.hpo.remote import TrialRecords

    search = Search(TINY, program, None, None, "random", _config(program))
    home = TrialRecords(search)
    values: dict = {}
    profile = cProfile.Profile()
    profile.enable()
    home.receive({"kind": "begin", "trial": 0, "worker": "tcp://127.0.0.1:1", "values": values,
                  "info": {"backend": "pytorch", "device": "cpu", "network": "Tiny", "dataset": "digits", "epochs": 2,
                           "batch_size": 64, "steps_per_epoch": 5, "train_samples": 320, "val_samples": 80,
                           "seed": 0, "monitor": "val_loss", "metrics": ["loss", "val_loss"]}})
    for epoch in (1, 2):
        home.receive({"kind": "epoch", "trial": 0, "epoch": epoch, "metrics": {"loss": 1.0 / epoch, "val_loss": 1.2}})
    folder = home.end(0, "COMPLETE", [], "tcp://127.0.0.1:1")
    profile.disable()
    home.close_all()
    drawn = [f for f in pstats.Stats(profile).stats if "matplotlib" in f[0]]
    assert not drawn, drawn[:5]
    assert Path(folder, "metrics.jsonl").read_text().count("\n") == 2
