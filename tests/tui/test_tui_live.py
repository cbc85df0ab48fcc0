"""Another process writes to the store while the app runs; the table follows without a
restart."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from runner.tui.app import NeuralTUI
from tests.tui.helpers import curve, loaded, make_experiment, wait_for

WRITER = textwrap.dedent("""
    import sys, time
    from runner.tracking import ExperimentTracker

    existing, base = sys.argv[1], sys.argv[2]
    old = ExperimentTracker.open(existing)
    for i in range(5):
        old.log_metrics({"loss": 0.01 / (i + 1), "val_loss": 0.02, "accuracy": 0.99})
        time.sleep(0.02)
    old.close()
    new = ExperimentTracker("newcomer", base_dir=base, auto_visualize=False,
                            capture_environment=False, tags=["from=subprocess"])
    new.log_hyperparameters({"lr": 0.7, "bs": 16})
    for i in range(3):
        new.log_metrics({"loss": 1.0 / (i + 1), "val_loss": 1.1 / (i + 1)})
        time.sleep(0.02)
    print(new.experiment_dir, flush=True)
    sys.stdin.readline()  # stay "running" until the test has looked
    new.log_metrics({"loss": 0.1, "val_loss": 0.2})
    new.finish()
""")


async def test_table_follows_another_process(store, tmp_path):
    existing = make_experiment(store, "existing", curve(4), {"lr": 0.1, "bs": 32})
    key = os.path.basename(existing.experiment_dir)
    app = NeuralTUI(store, interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        table = app.table
        assert table.row_count == 1
        assert table.get_cell(key, "steps").plain == "3"

        script = tmp_path / "writer.py"
        script.write_text(WRITER)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        proc = subprocess.Popen([sys.executable, str(script), existing.experiment_dir, str(store)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        try:
            await wait_for(pilot, lambda: table.row_count == 2, timeout=30,
                           what="the new experiment")
            await wait_for(pilot, lambda: table.get_cell(key, "steps").plain == "8",
                           timeout=30, what="the appended metrics")
            assert table.get_cell(key, "m:loss:best").plain == "0.002"
            new_key = os.path.basename(proc.stdout.readline().strip())
            await wait_for(pilot, lambda: new_key in table.rows
                           and table.get_cell(new_key, "steps").plain == "2",
                           what="the new experiment's metrics")
            assert table.get_cell(new_key, "name").plain == "newcomer"
            assert table.get_cell(new_key, "status").plain == "running"
            assert table.get_cell(new_key, "hp:lr").plain == "0.7"  # lr now differs
            assert table.visible_keys()[0] == new_key  # newest first
            assert "1 running" in str(app.query_one("#summary").render())

            proc.stdin.write("\n")
            proc.stdin.flush()
            await wait_for(pilot, lambda: table.get_cell(new_key, "status").plain == "completed",
                           timeout=30, what="the run to finish")
            assert table.get_cell(new_key, "steps").plain == "3"
            assert table.get_cell(new_key, "m:val_loss:last").plain == "0.2"
        finally:
            if proc.poll() is None:
                proc.stdin.close()
            assert proc.wait(timeout=30) == 0


async def test_a_killed_run_is_flagged(store, tmp_path):
    code = ("import os, sys\n"
            "from runner.tracking import ExperimentTracker\n"
            "t = ExperimentTracker('killed', base_dir=sys.argv[1], auto_visualize=False)\n"
            "t.log_metrics({'loss': 1.0})\n"
            "print(t.experiment_dir, flush=True)\n"
            "os._exit(9)  # no finish, no atexit: like SIGKILL\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", code, str(store)], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    folder = done.stdout.strip()
    assert done.returncode == 9 and folder
    alive = make_experiment(store, "alive", curve(2), status=None, environment=True)
    old = os.path.getmtime(os.path.join(folder, "metrics.jsonl")) - 600
    for path in (folder, alive.experiment_dir):
        os.utime(os.path.join(path, "metrics.jsonl"), (old, old))  # both quiet for 10 min
    app = NeuralTUI(store, interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        killed = os.path.basename(folder)
        assert app.table.get_cell(killed, "status").plain == "running?"
        # this test's process still runs "alive": quiet is not dead
        assert app.table.get_cell(os.path.basename(alive.experiment_dir),
                                  "status").plain == "running"
        app.table.move_cursor(app.table.get_row_index(killed))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#info"), what="detail")
        assert "probably killed" in str(app.screen.query_one("#info").render())
