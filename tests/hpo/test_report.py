"""The trial table: live on a terminal; one plain line per trial, written as it ends, anywhere else
(CI logs, `2>&1 | tee log`), where rich's live table would show nothing until the search is over."""

from __future__ import annotations

import io

import optuna
from rich.console import Console

from runner.hpo.report import TableReporter


def _study() -> optuna.Study:
    return optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))


def _lines(out: io.StringIO) -> list[str]:
    return out.getvalue().splitlines()


def test_each_trial_is_one_line_written_as_it_ends_when_not_a_terminal():
    out = io.StringIO()
    seen_during_search: list[list[str]] = []

    def objective(t: optuna.Trial) -> float:
        seen_during_search.append(_lines(out))  # what a `tee` shows while this trial runs
        x = t.suggest_float("optimizer.Adam.learning_rate", 0, 1)
        if t.number == 2:
            raise ValueError("diverged")
        return x

    with TableReporter(3, console=Console(file=out, force_terminal=False, width=80)) as table:
        _study().optimize(objective, n_trials=3, callbacks=[table], catch=(ValueError,))
        during = _lines(out)
    print("study done", file=out)

    assert seen_during_search[0] == []
    assert [line.split("  ")[0] for line in seen_during_search[1]] == ["trial 0 (1/3)"]
    assert [line.split("  ")[0] for line in seen_during_search[2]] == ["trial 0 (1/3)", "trial 1 (2/3)"]
    assert len(during) == 3  # all three before the reporter is closed
    first, _, failed = during
    assert first.startswith("trial 0 (1/3)  COMPLETE  value ") and "  Adam.learning_rate=" in first
    assert "best so far " in first and "(trial " in first
    assert failed.startswith("trial 2 (3/3)  FAIL  value -  best so far ")
    # nothing is drawn at the end: no table repeating the lines, and what follows is on its own line
    assert _lines(out) == [*during, "study done"]
    assert "HPO trials" not in out.getvalue()


def test_the_line_and_the_table_row_say_the_same():
    out = io.StringIO()
    study = _study()
    with TableReporter(1, console=Console(file=out, force_terminal=False, width=80)) as table:
        study.optimize(lambda t: t.suggest_float("layers[1].Dense.rate", 0, 1), n_trials=1, callbacks=[table])
    number, state, params, value, best = table.rows[0]
    assert (number, state) == ("[bold]0[/bold]", "[green]COMPLETE[/green]")
    assert _lines(out) == [f"trial 0 (1/1)  COMPLETE  value {value}  best so far {best} (trial 0)  {params}"]
    assert params == f"[1].Dense.rate={study.best_value:.4g}"


def test_a_terminal_still_gets_the_live_table_and_no_lines():
    out = io.StringIO()
    with TableReporter(2, console=Console(file=out, force_terminal=True, width=80)) as table:
        _study().optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[table])
    text = out.getvalue()
    assert "HPO trials (2/2)" in text and "COMPLETE" in text
    assert "trial 0 (1/2)" not in text


def test_tty_compatible_counts_as_a_terminal_as_rich_has_it(monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # a CI that renders escape codes: the live table
    out = io.StringIO()
    with TableReporter(1, console=Console(file=out, width=80)) as table:
        _study().optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, callbacks=[table])
    assert "HPO trials (1/1)" in out.getvalue() and "trial 0 (1/1)" not in out.getvalue()


def test_a_remote_trial_shows_as_running_then_takes_its_final_row():
    out = io.StringIO()
    study = _study()
    with TableReporter(1, console=Console(file=out, force_terminal=False, width=100)) as table:
        table.trial_started(0, {"optimizer.Adam.learning_rate": 0.01}, "tcp://127.0.0.1:4000")
        assert table.rows[0][1].startswith("[cyan]RUNNING[/cyan] tcp://127.0.0.1:4000")
        assert "Adam.learning_rate=0.01" in table.rows[0][2]
        assert _lines(out) == ["trial 0  RUNNING on tcp://127.0.0.1:4000  value -  best so far -  "
                               "Adam.learning_rate=0.01"]
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, callbacks=[table])
    assert len(table.rows) == 1 and "COMPLETE" in table.rows[0][1] and not table.running
    running, done = _lines(out)
    assert done.startswith("trial 0 (1/1)  COMPLETE  value ")
