"""A TrackingSession: what the trials of one search share. The environment is captured once,
and one helper process draws every trial's plots; a trial never draws in its own process."""

import json
import os
import time
from pathlib import Path

import pytest

from runner.tracking import ExperimentTracker
from runner.tracking import session as session_module
from runner.tracking.session import TrackingSession


def test_environment_is_captured_once_and_each_trial_records_its_own_process(store, monkeypatch):
    import runner.tracking.environment as environment

    calls = []
    real = environment.capture_environment
    monkeypatch.setattr(environment, "capture_environment",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    with TrackingSession(plots=False) as session:
        trackers = [ExperimentTracker(f"trial{i}", base_dir=store, session=session)
                    for i in range(3)]
        for tracker in trackers:
            tracker.finish()
    assert len(calls) == 1
    for tracker in trackers:
        env = tracker.metadata["environment"]
        assert env["command"]["pid"] == os.getpid() and env["python"]["version"]
        assert tracker.list_artifact_versions("requirements.txt")[0].size > 0


def test_plots_are_drawn_by_one_helper_never_in_the_trial(store, monkeypatch):
    from runner.tracking.visualizer import MetricVisualizer

    drawn_here = []

    def refuse(*args, **kwargs):  # finish() would only warn about an exception: record it
        drawn_here.append(args)
        raise AssertionError("a trial drew its plots in its own process")

    monkeypatch.setattr(MetricVisualizer, "save_figures", staticmethod(refuse))
    spawned = []
    real_spawn = session_module.spawn_worker
    monkeypatch.setattr(session_module, "spawn_worker",
                        lambda *a, **k: spawned.append(a) or real_spawn(*a, **k))
    session = TrackingSession(capture=False)
    folders = []
    for i in range(3):
        tracker = ExperimentTracker(f"trial{i}", base_dir=store, session=session,
                                    capture_environment=False, plot_every=2)
        for step in range(5):
            tracker.log_metrics({"loss": 1.0 / (step + 1)})
        tracker.finish("pruned" if i == 1 else "completed")
        folders.append(Path(tracker.experiment_dir))
    assert spawned == [("runner.tracking.plot_worker", "--serve")] and not drawn_here
    assert session.plots.close(wait=120)  # the search waits here only in this test
    for folder in folders:
        assert (folder / "plots" / "metric_loss.png").read_bytes()[:4] == b"\x89PNG"
    assert session.plots.errors == []


def test_a_session_without_plots_starts_no_helper(store):
    session = TrackingSession(capture=False, plots=False)
    tracker = ExperimentTracker("t", base_dir=store, session=session)
    tracker.log_metrics({"loss": 1.0})
    tracker.finish()
    session.close()
    assert not list((Path(tracker.experiment_dir) / "plots").iterdir())


def test_closing_a_session_does_not_wait_for_drawings(store):
    session = TrackingSession(capture=False)
    tracker = ExperimentTracker("t", base_dir=store, session=session)
    tracker.log_metrics({"loss": 1.0})
    tracker.finish()
    proc = session.plots._proc
    session.close()
    assert proc is not None
    assert proc.wait(timeout=120) == 0  # it finishes what was asked, then exits on its own
    assert (Path(tracker.experiment_dir) / "plots" / "metric_loss.png").is_file()


def test_a_search_captures_once_and_never_draws_in_its_trials(tmp_path, monkeypatch):
    import runner.tracking.environment as environment
    from runner.tracking import ExperimentManager
    from runner.tracking.visualizer import MetricVisualizer

    pytest.importorskip("optuna")
    pytest.importorskip("torch")
    from runner.hpo import Search, SearchConfig
    from tests.hpo.conftest import TINY

    calls, spawned = [], []
    real_capture, real_spawn = environment.capture_environment, session_module.spawn_worker
    monkeypatch.setattr(environment, "capture_environment",
                        lambda *a, **k: calls.append(1) or real_capture(*a, **k))
    monkeypatch.setattr(session_module, "spawn_worker",
                        lambda *a, **k: spawned.append(a) or real_spawn(*a, **k))

    drawn_here = []

    def refuse(*args, **kwargs):  # finish() would only warn about an exception: record it
        drawn_here.append(args)
        raise AssertionError("a trial drew its plots in its own process")

    monkeypatch.setattr(MetricVisualizer, "save_figures", staticmethod(refuse))
    program = tmp_path / "tiny.neural"
    program.write_text(TINY)
    store = tmp_path / "store"
    result = Search(TINY, program, None, None, "random",
                    SearchConfig(n_trials=3, seed=0, track=True, base_dir=str(store), epochs=1,
                                 dataset="digits", num_samples=300)).run()
    assert len(result.trials) == 3
    assert len(calls) == 1 and spawned == [("runner.tracking.plot_worker", "--serve")]
    assert not drawn_here
    trials = [e for e in ExperimentManager(store).list_experiments() if "trial" in e["tags"]]
    assert len(trials) == 3
    for info in trials:
        meta = json.loads((Path(info["experiment_dir"]) / "metadata.json").read_text())
        assert meta["environment"]["command"]["pid"] == os.getpid()


def test_a_search_asks_for_each_trials_plots_once_when_it_ends(tmp_path, monkeypatch):
    """A redraw while a trial trains cost about a second of CPU, taken from the training of
    trials of a few seconds that nobody watches as pictures (the trial table shows them); a
    single `neural run` still redraws as it logs."""
    pytest.importorskip("optuna")
    pytest.importorskip("torch")
    from runner.hpo import Search, SearchConfig
    from tests.hpo.conftest import TINY

    asked = []
    real = session_module.PlotHelper.request
    monkeypatch.setattr(session_module.PlotHelper, "request",
                        lambda self, folder, final=False: asked.append((str(folder), final))
                        or real(self, folder, final))
    result = Search(TINY, tmp_path / "tiny.neural", None, None, "random",
                    SearchConfig(n_trials=2, seed=0, track=True, base_dir=str(tmp_path / "store"), epochs=12,
                                 dataset="digits", num_samples=300)).run()
    folders = [t["experiment_dir"] for t in result.trials]
    assert len(folders) == 2 and all(folders)
    assert sorted(asked) == sorted((str(f), True) for f in folders)

    session = TrackingSession(capture=False)  # not a search's: live redraws
    tracker = ExperimentTracker("run", base_dir=tmp_path / "store", session=session, capture_environment=False,
                                plot_every=1)
    tracker.log_metrics({"loss": 1.0})
    tracker.finish()
    session.close()
    assert (str(tracker.experiment_dir), False) in asked


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
def test_the_plot_helper_runs_only_on_idle_cpu(tmp_path):
    """A drawing at nice 10 still took a share of a busy core and slowed the next trial's
    training threads on 2 cores; the helper is SCHED_IDLE, so training always comes first."""
    from runner.tracking.session import PlotHelper

    helper = PlotHelper()
    helper.request(tmp_path)  # starts the process (an empty folder draws nothing)
    try:
        proc = helper._proc
        assert proc is not None
        for _ in range(200):  # the helper sets its policy as it starts: bounded wait
            if os.sched_getscheduler(proc.pid) == os.SCHED_IDLE:
                break
            time.sleep(0.05)
        assert os.sched_getscheduler(proc.pid) == os.SCHED_IDLE
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
