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
