"""The studies view on real Optuna studies: a journal under <base>/hpo/ and a SQLite URL."""

from __future__ import annotations

import os

import optuna
import pytest
from optuna.trial import TrialState
from textual.widgets import DataTable

from runner.hpo.storage import open_storage
from runner.tui.app import NeuralTUI
from runner.tui.detail import DetailScreen
from runner.tui.grid import Grid
from tests.tui.helpers import curve, loaded, make_experiment, wait_for

optuna.logging.set_verbosity(optuna.logging.WARNING)


def fill(study: optuna.Study) -> None:
    """Trials 0-4: complete 0.5, complete 0.3, pruned, failed, complete 0.4."""
    dist = optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)
    for value in (0.5, 0.3):
        trial = study.ask({"lr": dist})
        trial.report(value + 0.2, 1)
        study.tell(trial, value)
    pruned = study.ask({"lr": dist})
    pruned.report(0.9, 1)
    study.tell(pruned, state=TrialState.PRUNED)
    failed = study.ask({"lr": dist})
    study.tell(failed, state=TrialState.FAIL)
    trial = study.ask({"lr": dist, "units": optuna.distributions.IntDistribution(16, 64)})
    study.tell(trial, 0.4)


def trial_rows(grid: Grid) -> dict[str, list[str]]:
    return {key: [cell.plain for cell in grid.get_row(key)] for key in grid.visible_keys()}


async def test_journal_study_live(store):
    storage = open_storage(None, store, "demo")  # where `neural run --hpo` puts it
    study = optuna.create_study(study_name="demo", storage=storage, direction="minimize")
    study.set_user_attr("metric", "val_loss")
    fill(study)
    tracked = make_experiment(store, "Demo", curve(3), tags={"study": "demo", "trial": "1"})

    app = NeuralTUI(store, interval=0.1, studies_interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        trials = app.query_one("#trial-table", Grid)
        await wait_for(pilot, lambda: trials.row_count == 5, what="the trials")
        studies = app.query_one("#study-table", DataTable)
        assert studies.row_count == 1
        row = [str(c) for c in studies.get_row_at(0)]
        assert row[0] == "demo" and row[2] == "minimize" and row[3] == "val_loss"
        assert "3 complete" in row[5] and "1 pruned" in row[5] and "1 fail" in row[5]
        assert row[7] == "0.3 (#1)"

        rows = trial_rows(trials)
        assert [rows[n][2] for n in "01234"] == ["COMPLETE", "COMPLETE", "PRUNED", "FAIL",
                                                  "COMPLETE"]
        assert [rows[n][4] for n in "01234"] == ["0.5", "0.3", "0.3", "0.3", "0.3"]  # best so far
        assert rows["1"][0] == "★" and all(rows[n][0] == "" for n in "0234")
        assert rows["2"][5] == "0.9 @1"  # where the pruned trial stopped
        assert "black on green" in str(trials.get_cell("1", "value").style)  # highlighted
        assert "p:units" in trials.column_keys

        # trials keep coming while the app runs: a running one, then a new best
        running = study.ask({"lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)})
        running.report(0.25, 1)
        await wait_for(pilot, lambda: trials.row_count == 6, what="the running trial")
        assert trial_rows(trials)["5"][2] == "RUNNING"
        assert trial_rows(trials)["5"][5] == "0.25 @1"
        study.tell(running, 0.1)
        await wait_for(pilot, lambda: trial_rows(trials)["5"][0] == "★", what="the new best")
        assert trial_rows(trials)["1"][0] == "" and trial_rows(trials)["5"][4] == "0.1"

        # Enter on a trial opens its tracked experiment (matched by the study/trial tags)
        trials.move_cursor(row=1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail")
        assert app.screen.key == os.path.basename(tracked.experiment_dir)
        await pilot.press("escape")
        trials.move_cursor(row=0)
        await pilot.press("enter")  # trial 0 has no experiment: a notice, no screen
        await pilot.pause()
        assert not isinstance(app.screen, DetailScreen)


async def test_sqlite_storage_and_a_broken_journal(store, tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    for name, direction in (("first", "minimize"), ("second", "maximize")):
        fill(optuna.create_study(study_name=name, storage=url, direction=direction))
    app = NeuralTUI(store, storage=url, interval=0.1, studies_interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        studies = app.query_one("#study-table", DataTable)
        await wait_for(pilot, lambda: studies.row_count == 2, what="both studies")
        best = {str(studies.get_row_at(i)[0]): str(studies.get_row_at(i)[7]) for i in range(2)}
        assert best == {"first": "0.3 (#1)", "second": "0.5 (#0)"}
        studies.move_cursor(row=[str(studies.get_row_at(i)[0]) for i in range(2)].index("second"))
        trials = app.query_one("#trial-table", Grid)
        await wait_for(pilot, lambda: trial_rows(trials).get("0", [""])[0] == "★",
                       what="the maximized study's best")

    hpo = store / "hpo" / "bad"
    hpo.mkdir(parents=True)
    (hpo / "journal.log").write_text("this is not\na journal\n")
    app = NeuralTUI(store, interval=0.1, studies_interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        await pilot.press("2")
        studies = app.query_one("#study-table", DataTable)
        await wait_for(pilot, lambda: studies.row_count == 1, what="the broken source")
        row = [str(c) for c in studies.get_row_at(0)]
        assert row[0] == "(unreadable)" and row[1] == "hpo/bad" and row[2]


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
