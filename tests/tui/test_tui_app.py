"""The real app driven by Textual's pilot: navigation, detail, sorting, filtering, compare,
delete, damaged experiments, mirror hints."""

from __future__ import annotations

import json
import os
from pathlib import Path

from textual.widgets import DataTable, SelectionList, Static

from runner.tui.app import NeuralTUI
from runner.tui.compare import CompareScreen
from runner.tui.confirm import ConfirmScreen
from runner.tui.detail import DetailScreen
from tests.tui.helpers import curve, loaded, make_experiment, wait_for

SIZE = (120, 40)


def key_of(tracker) -> str:
    return os.path.basename(tracker.experiment_dir)


def three(store: Path):
    """Three finished runs of one sweep, best val_loss in the middle one."""
    a = make_experiment(store, "alpha", curve(5, 1.0), {"lr": 0.1, "bs": 32}, tags=["sweep=a"])
    b = make_experiment(store, "beta", curve(8, 0.5), {"lr": 0.01, "bs": 32}, tags=["sweep=a"])
    c = make_experiment(store, "gamma", curve(3, 2.0), {"lr": 0.3, "bs": 64}, tags=["sweep=b"],
                        status="failed")
    return a, b, c


def cell(app, key: str, column: str) -> str:
    return app.table.get_cell(key, column).plain


def static_text(widget: Static) -> str:
    return str(widget.render())


async def test_table_navigation_and_detail_view(store, tmp_path):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\x00" * 1000)
    a, b, c = three(store)
    d = make_experiment(store, "delta", curve(4), {"lr": 0.5, "bs": 32}, artifact=weights,
                        environment=True)
    app = NeuralTUI(store, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        table = app.table
        assert table.row_count == 4
        # newest first by default
        assert table.visible_keys() == [key_of(d), key_of(c), key_of(b), key_of(a)]
        assert cell(app, key_of(c), "status") == "failed"
        assert cell(app, key_of(b), "steps") == "7"
        assert cell(app, key_of(b), "m:val_loss:best") == "0.1125"
        assert cell(app, key_of(a), "hp:lr") == "0.1"
        summary = static_text(app.query_one("#summary", Static))
        assert "4 experiments" in summary and "3 completed" in summary and "1 failed" in summary

        await pilot.press("down", "down")
        assert table.cursor_key == key_of(b)
        await pilot.press("end")
        assert table.cursor_key == key_of(a)
        await pilot.press("home", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail view")
        screen = app.screen
        info = static_text(screen.query_one("#info", Static))
        assert "delta" in info and d.experiment_id in info and "completed" in info
        chooser = screen.query_one("#metric-list", SelectionList)
        assert chooser.selected == ["val_loss", "loss"] or chooser.selected == ["loss", "val_loss"]
        stats = screen.query_one("#metric-stats", DataTable)
        assert stats.get_cell("loss", "count") == "4"
        assert "step" in str(screen.query_one("#chart", Static).render())

        await pilot.press("2")
        hps = screen.query_one("#hparams", DataTable)
        assert ["lr", "0.5"] in [[str(c) for c in hps.get_row_at(i)] for i in range(hps.row_count)]
        await pilot.press("3")
        arts = screen.query_one("#artifact-table", DataTable)
        rows = {str(arts.get_row_at(i)[0]): arts.get_row_at(i) for i in range(arts.row_count)}
        stored = d.get_artifact_version("weights.bin")
        assert str(rows["weights.bin"][1]) == "v1"
        assert str(rows["weights.bin"][4]) == stored.checksum[:16] + "…"
        assert "requirements.txt" in rows  # the environment capture's artifact
        await pilot.press("v")
        await wait_for(pilot, lambda: str(arts.get_row_at(0)[6]) == "✓", what="verified")
        await pilot.press("4")
        env = screen.query_one("#env", DataTable)
        env_rows = {str(env.get_row_at(i)[0]): str(env.get_row_at(i)[1])
                    for i in range(env.row_count)}
        assert env_rows["python.version"].count(".") == 2 and "command.argv" in env_rows

        await pilot.press("escape")
        assert app.screen is not screen and table.cursor_key == key_of(d)


async def test_sorting_by_keys_and_header_click(store):
    a, b, c = three(store)
    app = NeuralTUI(store, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        table = app.table
        # "s" walks through the columns; stop at the best val_loss
        for _ in range(20):
            if app.model.sort_column == "m:val_loss:best":
                break
            await pilot.press("s")
        assert app.model.sort_column == "m:val_loss:best" and not app.model.sort_reverse
        assert table.visible_keys() == [key_of(b), key_of(a), key_of(c)]
        await pilot.press("S")
        assert table.visible_keys() == [key_of(c), key_of(a), key_of(b)]
        assert "▼" in str(table.render_line(1).text)
        # clicking a header sorts by that column; clicking again reverses
        x = sum(w + 2 for w in table._widths[:table.column_keys.index("name")]) + 2
        await pilot.click(table, offset=(x, 1))
        assert app.model.sort_column == "name"
        assert table.visible_keys() == [key_of(a), key_of(b), key_of(c)]
        await pilot.click(table, offset=(x, 1))
        assert table.visible_keys() == [key_of(c), key_of(b), key_of(a)]
        # the cursor stays on its experiment when rows move
        await pilot.press("home")
        assert table.cursor_key == key_of(c)
        await pilot.press("S")
        assert table.cursor_key == key_of(c) and table.cursor_row == 2


async def test_filtering_by_text_status_and_tag(store):
    a, b, c = three(store)
    app = NeuralTUI(store, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        table = app.table
        await pilot.press("slash")
        await pilot.press(*"status:completed")
        await wait_for(pilot, lambda: table.row_count == 2, what="status filter")
        assert set(table.visible_keys()) == {key_of(a), key_of(b)}
        assert "hp:bs" not in table.column_keys  # both completed runs use bs=32
        await pilot.press("enter")
        assert app.focused is table
        await pilot.press("slash", *" -beta")
        await wait_for(pilot, lambda: table.visible_keys() == [key_of(a)], what="negation")
        await pilot.press("escape")  # in the box: clears it
        await wait_for(pilot, lambda: table.row_count == 3, what="filter cleared")

        await pilot.press("slash", *"tag:sweep=b", "enter")
        await wait_for(pilot, lambda: table.visible_keys() == [key_of(c)], what="tag filter")
        await pilot.press("escape")  # on the table: drops the filter
        await wait_for(pilot, lambda: table.row_count == 3, what="filter dropped")

        await pilot.press("f")  # status cycle: running (none here)
        assert app.model.status_filter == "running" and table.row_count == 0
        await pilot.press("f", "f")
        assert app.model.status_filter == "failed" and table.visible_keys() == [key_of(c)]
        assert "status=failed" in static_text(app.query_one("#summary", Static))


async def test_compare_marked_experiments(store):
    a, b, c = three(store)
    app = NeuralTUI(store, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("c")  # nothing marked: a warning, no screen
        assert not isinstance(app.screen, CompareScreen)
        await pilot.press("space", "space", "space")  # marks c, b, a (cursor moves down)
        assert app.model.marked == {key_of(a), key_of(b), key_of(c)}
        assert cell(app, key_of(c), "mark") == "●"
        await pilot.press("home", "space")  # unmark c
        assert cell(app, key_of(c), "mark") == " "
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), what="compare")
        table = app.screen.query_one("#compare-table", DataTable)
        columns = [col.key.value for col in table.ordered_columns]
        assert columns == ["field", key_of(b), key_of(a)]
        assert str(table.get_cell("hp:lr", key_of(b))) == "0.01"
        label = table.get_cell("hp:lr", "field")
        assert "yellow" in str(label.style)  # a differing field is highlighted
        assert "yellow" not in str(table.get_cell("hp:bs", "field").style)  # bs: same
        best = table.get_cell("m:val_loss:best", key_of(b))
        assert "green" in str(best.style)  # b has the lower val_loss
        assert "green" not in str(table.get_cell("m:val_loss:best", key_of(a)).style)
        rows_all = table.row_count
        await pilot.press("d")  # only the differences
        assert table.row_count < rows_all and "hp:bs" not in table.rows
        chart = str(app.screen.query_one("#compare-chart", Static).render())
        assert "val_loss" in chart
        await pilot.press("m")
        assert app.screen.metric != "val_loss"
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)
        await pilot.press("escape")  # on the table: marks dropped
        assert not app.model.marked and cell(app, key_of(a), "mark") == " "


async def test_delete_asks_first(store):
    a, b, c = three(store)
    app = NeuralTUI(store, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        table = app.table
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        assert "gamma" in static_text(app.screen.query_one("#question", Static))
        await pilot.press("enter")  # the focused button is Cancel: nothing happens
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen), what="closed")
        await pilot.press("d", "n")
        assert os.path.isdir(c.experiment_dir) and table.row_count == 3

        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: table.row_count == 2, what="row removed")
        assert not os.path.exists(c.experiment_dir)
        assert key_of(c) not in table.rows

        await pilot.press("space", "space", "d")  # both marked ones
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        assert "these 2 experiments" in static_text(app.screen.query_one("#question", Static))
        await pilot.click("#yes")
        await wait_for(pilot, lambda: table.row_count == 0, what="all removed")
        assert not os.path.exists(a.experiment_dir) and not os.path.exists(b.experiment_dir)


async def test_damaged_experiments_show_as_such(store):
    good = make_experiment(store, "good", curve(3))
    broken = store / "broken_0000000a"
    broken.mkdir()
    (broken / "metadata.json").write_text('{"experiment_id": "0000000a", ')
    lost = store / "lost_0000000b"
    lost.mkdir()
    os.utime(lost, (1, 1))
    torn = make_experiment(store, "torn", curve(2), status=None)
    with open(os.path.join(torn.experiment_dir, "metrics.jsonl"), "a") as f:
        f.write('not json\n{"step": 5, "lo')
    app = NeuralTUI(store, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        table = app.table
        assert table.row_count == 4
        assert cell(app, broken.name, "status") == "corrupt"
        assert cell(app, lost.name, "status") == "incomplete"
        assert cell(app, key_of(torn), "name") == "torn ⚠"
        assert cell(app, key_of(good), "status") == "completed"
        summary = static_text(app.query_one("#summary", Static))
        assert "1 corrupt" in summary and "1 incomplete" in summary
        for _ in range(10):  # the status filter cycles through the statuses to "problem"
            await pilot.press("f")
            if app.model.status_filter == "problem":
                break
        assert app.model.status_filter == "problem"
        assert set(table.visible_keys()) == {broken.name, lost.name, key_of(torn)}
        table.move_cursor(table.get_row_index(broken.name))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail")
        info = static_text(app.screen.query_one("#info", Static))
        assert "metadata.json: is not valid JSON" in info
        await pilot.press("escape")
        # the broken one gets repaired while the app runs
        (broken / "metadata.json").write_text(json.dumps(
            {"experiment_id": "0000000a", "experiment_name": "mended", "status": "completed"}))
        await wait_for(pilot, lambda: broken.name not in table.rows, what="left the filter")
        await pilot.press("escape")
        await wait_for(pilot, lambda: cell(app, broken.name, "status") == "completed",
                       what="repaired row")
        assert cell(app, broken.name, "name") == "mended"
        # an incomplete folder is an experiment to every reader: it can be deleted
        table.move_cursor(table.get_row_index(lost.name))
        await pilot.press("d", "y")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen), what="closed")
        await wait_for(pilot, lambda: not lost.is_dir(), what="deleted")


async def test_mirror_hint(store):
    plain = make_experiment(store, "plain", curve(2))
    mirrored = make_experiment(store, "mirrored", curve(2), backend="tensorboard")
    tb = os.path.join(mirrored.experiment_dir, "tensorboard")
    assert os.listdir(tb)  # real event files were written
    app = NeuralTUI(store, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        assert cell(app, key_of(mirrored), "mirrors") == "tb"
        app.table.move_cursor(app.table.get_row_index(key_of(mirrored)))
        await pilot.press("o")
        await wait_for(pilot, lambda: app._notifications, what="notification")
        messages = [n.message for n in app._notifications]
        assert any(f"tensorboard --logdir {tb}" in m for m in messages)
        app.table.move_cursor(app.table.get_row_index(key_of(plain)))
        await pilot.press("o")
        await wait_for(pilot, lambda: any("no MLflow" in n.message for n in app._notifications),
                       what="no-mirror notice")
        await pilot.press("up", "enter")  # the detail view shows the hint too
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail")
        assert f"tensorboard --logdir {tb}" in static_text(app.screen.query_one("#info", Static))


async def test_every_damaged_row_opens_without_killing_the_app(store):
    from tests.damaged_store import DAMAGE, build_damaged_store

    folders = build_damaged_store(store)
    app = NeuralTUI(store, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await wait_for(pilot, lambda: app.table.row_count == len(folders), what="all rows")
        for name, folder in folders.items():
            if name in DAMAGE:
                assert cell(app, folder.name, "status") == "corrupt", name
            app.table.move_cursor(app.table.get_row_index(folder.name))
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen), what=name)
            await pilot.pause(0.3)  # a few refresh ticks of the detail view
            info = static_text(app.screen.query_one("#info", Static))
            if name in DAMAGE:
                file, reason = DAMAGE[name]
                assert f"corrupt: {file}: " in info and reason in info, info
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, DetailScreen), what="back")
        assert app.is_running
