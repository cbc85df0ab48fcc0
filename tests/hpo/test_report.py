"""The live trial table as it is printed when stderr is not a terminal (CI logs, pipes)."""

from __future__ import annotations

import io

import optuna
from rich.console import Console

from runner.hpo.report import TableReporter


def test_table_ends_its_line_when_not_a_terminal():
    out = io.StringIO()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    with TableReporter(2, console=Console(file=out, force_terminal=False, width=80)) as table:
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[table])
    print("study done", file=out)
    text = out.getvalue()
    assert "HPO trials (2/2)" in text and "COMPLETE" in text
    # what follows the table starts on its own line
    assert "\nstudy done\n" in text and "┘study" not in text


def test_a_remote_trial_shows_as_running_then_takes_its_final_row():
    out = io.StringIO()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    with TableReporter(1, console=Console(file=out, force_terminal=False, width=100)) as table:
        table.trial_started(0, {"optimizer.Adam.learning_rate": 0.01}, "tcp://127.0.0.1:4000")
        assert table.rows[0][1].startswith("[cyan]RUNNING[/cyan] tcp://127.0.0.1:4000")
        assert "Adam.learning_rate=0.01" in table.rows[0][2]
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, callbacks=[table])
    assert len(table.rows) == 1 and "COMPLETE" in table.rows[0][1] and not table.running
    assert "HPO trials (1/1)" in out.getvalue()
