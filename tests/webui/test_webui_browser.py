"""The page in Debian's headless Chromium (Playwright): every tab, the picker's search, and
refresh picking up new runs, asserting on what is drawn. Screenshots of each tab go to
test-artifacts/webui/. The `page` fixture fails a test on any console error (CSP
violations included), uncaught exception or dialog."""

from __future__ import annotations

import re
import shutil
import time

import pytest
from playwright.sync_api import expect
from webui_helpers import EXACT_LOSS, add_experiment, screenshot

from runner.tracking import ExperimentManager, ExperimentTracker

pytestmark = pytest.mark.slow

CHANGED_CELL = "rgb(255, 216, 168)"  # app.css --changed
DIFF_ROW = "rgb(255, 248, 197)"  # app.css --diff-row


def open_page(page, ui, tab: str, ids: list[str] | None = None) -> None:
    """Open the page on `tab` with `ids` selected (None: the default selection)."""
    fragment = f"#tab={tab}" + (f"&ids={','.join(ids)}" if ids is not None else "")
    page.goto(ui.url + fragment)
    page.wait_for_selector(f"#panel-{tab}[data-state=ready]")


def wait_for(page, condition: str, arg=None, timeout: float = 10.0) -> None:
    """Poll `condition` (a JS function) until it returns true. page.wait_for_function
    evaluates strings with eval(), which the page's Content-Security-Policy forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {condition}")
        page.wait_for_timeout(50)


def traces(page, metric: str) -> list[dict]:
    return page.eval_on_selector(
        f'#metric-plots [data-metric="{metric}"]',
        "e => e.data.map(t => ({id: t.meta, points: t.x.length}))")


def test_metrics_tab_plots_each_metric_with_a_line_per_experiment(page, shared_ui, shared_store):
    ids = shared_store[1]
    chosen = [ids["baseline"], ids["wider"], ids["broken"]]
    open_page(page, shared_ui, "metrics", chosen)
    plots = page.eval_on_selector_all("#metric-plots .js-plotly-plot", """els => els.map(e => ({
        metric: e.dataset.metric, ids: e.data.map(t => t.meta),
        axes: [...new Set(e._fullData.map(t => t.xaxis + t.yaxis))],
        drawn: e.querySelectorAll('g.trace.scatter').length,
        title: e.querySelector('.gtitle').textContent}))""")
    assert [p["metric"] for p in plots] == ["loss", "accuracy", "val_loss"]
    for plot in plots:
        assert plot["ids"] == chosen and plot["drawn"] == 3  # one drawn line each
        assert plot["axes"] == ["xy"]  # on shared axes
    assert plots[0]["title"] == "loss (lower is better)"
    assert plots[1]["title"] == "accuracy (higher is better)"
    expect(page.locator("#metric-legend li")).to_have_text(
        [f"baseline ({ids['baseline']})", f"wider ({ids['wider']})", f"broken ({ids['broken']})"])

    # Hovering baseline's loss at step 2 shows the value as logged, all 15 digits.
    loss = page.locator('#metric-plots [data-metric="loss"]')
    point = loss.evaluate("""(e, y) => {
        const box = e.querySelector('.nsewdrag').getBoundingClientRect();
        return {x: box.left + e._fullLayout.xaxis.l2p(2),
                y: box.top + e._fullLayout.yaxis.l2p(y)}; }""", EXACT_LOSS)
    page.mouse.move(point["x"], point["y"])
    hover = loss.locator(".hoverlayer")
    expect(hover).to_contain_text(repr(EXACT_LOSS))
    expect(hover).to_contain_text(f"baseline ({ids['baseline']})")
    expect(hover).to_contain_text("0.2")  # wider at the same step, in the unified label
    screenshot(page, "metrics")


def test_hyperparameters_tab_highlights_what_differs(page, shared_ui, shared_store):
    ids = shared_store[1]
    open_page(page, shared_ui, "hyperparameters", [ids["baseline"], ids["wider"], ids["broken"]])
    expect(page.locator("#panel-hyperparameters [data-role=caption]")).to_contain_text(
        "2 of 4 hyperparameters differ")
    expect(page.locator("#hp-table thead th").nth(1)).to_contain_text(
        f"baseline ({ids['baseline']}) (baseline)")
    table = page.eval_on_selector_all("#hp-table tbody tr", """rows => rows.map(r => ({
        key: r.dataset.key, diff: r.classList.contains('diff'),
        cells: [...r.querySelectorAll('td')].map(td => ({
            text: td.textContent, changed: td.classList.contains('changed'),
            background: getComputedStyle(td).backgroundColor}))}))""")
    assert [(r["key"], r["diff"]) for r in table] == [
        ("lr", True), ("batch_size", True), ("optimizer.name", False),
        ("optimizer.beta1", False)]
    rows = {r["key"]: r["cells"] for r in table}
    assert [c["text"] for c in rows["batch_size"]] == ["32", "64", "32"]
    assert [c["changed"] for c in rows["batch_size"]] == [False, True, False]
    assert [c["changed"] for c in rows["lr"]] == [False, False, True]
    # what the eye sees: the changed cell stands out from its (highlighted) row
    assert rows["batch_size"][1]["background"] == CHANGED_CELL
    assert rows["batch_size"][0]["background"] == DIFF_ROW
    assert rows["optimizer.name"][0]["background"] not in (CHANGED_CELL, DIFF_ROW)
    screenshot(page, "hyperparameters")

    page.check("#only-differences")
    expect(page.locator("#hp-table tbody tr:visible")).to_have_count(2)
    page.uncheck("#only-differences")
    expect(page.locator("#hp-table tbody tr:visible")).to_have_count(4)


def test_best_tab_groups_bars_by_experiment_for_at_most_ten_metrics(page, shared_ui, shared_store):
    ids = shared_store[1]
    chosen = [ids["baseline"], ids["wider"], ids["many"]]
    open_page(page, shared_ui, "best", chosen)
    chart = page.eval_on_selector("#best-chart", """e => ({
        ids: e.data.map(t => t.meta), x: e.data.map(t => t.x.length),
        mode: e._fullLayout.barmode, drawn: e.querySelectorAll('g.trace.bars').length,
        ticks: [...e.querySelectorAll('.xtick text')].map(t => t.textContent)})""")
    assert chart["ids"] == chosen and chart["drawn"] == 3 and chart["mode"] == "group"
    assert chart["x"] == [10, 10, 10]
    assert chart["ticks"][:4] == ["loss ↓", "accuracy ↑", "val_loss ↓", "m00 ↑"]
    assert len(chart["ticks"]) == 10
    expect(page.locator("#panel-best [data-role=caption]")).to_contain_text(
        "The chart shows the first 10 of 15 metrics")
    expect(page.locator("#best-table tbody tr")).to_have_count(15)
    loss = page.locator('#best-table tr[data-metric="loss"] td')
    expect(loss).to_have_text(["lowest ↓", "0.1 (step 3)", "0.15 (step 3)", "—"])
    expect(loss.nth(1)).to_have_class("num winner")
    expect(page.locator('#best-table tr[data-metric="accuracy"] td.winner')).to_have_text(
        "0.9 (step 3)")
    screenshot(page, "best")


def test_summary_tab_has_a_card_per_experiment(page, shared_ui, shared_store):
    ids = shared_store[1]
    open_page(page, shared_ui, "summary", [ids["baseline"], ids["broken"], ids["live"]])
    expect(page.locator("#summary-cards .card")).to_have_count(3)
    cards = {role: page.locator(f'.card[data-id="{ids[role]}"]')
             for role in ("baseline", "broken", "live")}
    for role, status, records in (("baseline", "completed", "4"), ("broken", "failed", "2"),
                                  ("live", "running", "1")):
        expect(cards[role].locator("h3 .status")).to_have_text(status)
        expect(cards[role].locator('dd[data-fact="Metric records"]')).to_have_text(records)
        expect(cards[role].locator('dd[data-fact="Started"]')).to_have_text(
            re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))
    expect(cards["baseline"].locator('tr[data-metric="loss"] td')).to_have_text(["loss", "0.1", "3"])
    expect(cards["broken"].locator('tr[data-metric="val_loss"] td').nth(1)).to_have_text(
        "Infinity")
    expect(cards["broken"].locator(".error")).to_contain_text("RuntimeError: diverged")
    expect(cards["live"].locator('dd[data-fact="Ended"]')).to_have_text("—")
    expect(cards["live"].locator('dd[data-fact="Tags"]')).to_have_text("team=nlp")
    assert cards["broken"].locator("h3 .status").evaluate(
        "e => getComputedStyle(e).color") == "rgb(207, 34, 46)"  # failed reads red
    screenshot(page, "summary")


def test_picker_search_select_and_the_url_keeps_the_selection(page, shared_ui, shared_store):
    ids = shared_store[1]
    open_page(page, shared_ui, "summary")  # default: the newest five
    count = page.locator("#picker-count")
    items = page.locator("#experiment-list li[data-id]")
    expect(count).to_have_text("5 of 5 shown · 5 selected")
    page.click("#clear-selection")
    expect(count).to_have_text("5 of 5 shown · 0 selected")
    expect(page.locator("#summary-cards .card")).to_have_count(0)
    expect(page.locator("#panel-summary [data-role=caption]")).to_have_text(
        "Select experiments on the left to compare them.")

    for query, roles in (("team=vision", ["wider", "baseline"]), ("VISION wid", ["wider"]),
                         ("failed", ["broken"]), (ids["live"][:6], ["live"]),
                         ("many_", ["many"]), ("", ["many", "live", "broken", "wider", "baseline"])):
        page.fill("#search", query)
        expect(items).to_have_count(len(roles))
        assert items.evaluate_all("els => els.map(e => e.dataset.id)") == [ids[r] for r in roles]
    badges = page.locator("#experiment-list .status")
    assert badges.evaluate_all("els => els.map(e => [e.textContent, getComputedStyle(e).color])") \
        == [["pruned", "rgb(110, 119, 129)"], ["running", "rgb(9, 105, 218)"],
            ["failed", "rgb(207, 34, 46)"], ["completed", "rgb(26, 127, 55)"],
            ["completed", "rgb(26, 127, 55)"]]
    page.fill("#search", "no-such-experiment")
    expect(page.locator("#experiment-list .empty")).to_have_text("No experiment matches the search.")

    page.fill("#search", "team=vision")
    page.click("#select-shown")
    page.fill("#search", "running")
    page.check(f'#experiment-list input[value="{ids["live"]}"]')
    expect(count).to_have_text("1 of 5 shown · 3 selected (2 hidden by the search)")
    order = [ids["wider"], ids["baseline"], ids["live"]]
    expect(page.locator("#summary-cards .card")).to_have_count(3)
    assert page.locator("#summary-cards .card").evaluate_all(
        "els => els.map(e => e.dataset.id)") == order
    assert page.evaluate("location.hash") == f"#tab=summary&ids={','.join(order)}"
    screenshot(page, "picker-search")

    page.reload()  # the selection and tab come back from the URL
    page.wait_for_selector("#panel-summary[data-state=ready]")
    expect(page.locator("#summary-cards .card")).to_have_count(3)
    page.uncheck(f'#experiment-list input[value="{ids["live"]}"]')
    expect(page.locator("#summary-cards .card")).to_have_count(2)
    page.click("#tab-metrics")  # switching tabs keeps the selection
    page.wait_for_selector("#panel-metrics[data-state=ready]")
    assert [t["id"] for t in traces(page, "loss")] == [ids["wider"], ids["baseline"]]
    page.keyboard.press("ArrowRight")  # the tab list works from the keyboard too
    expect(page.locator("#tab-hyperparameters")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tab-hyperparameters")).to_be_focused()
    expect(page.locator("#hp-table thead th")).to_have_count(3)


def test_refresh_picks_up_new_records_new_and_deleted_experiments(page, store, ui):
    open_page(page, ui, "metrics")
    expect(page.locator("#experiment-list .empty")).to_have_text(
        "No experiments in this store yet. Run one, then press Refresh.")

    first = add_experiment(store, "first", {"lr": 0.1}, [{"loss": 1.0}, {"loss": 0.8}])
    live = ExperimentTracker("live", base_dir=store, auto_visualize=False,
                             capture_environment=False)
    try:
        live.log_metrics({"loss": 2.0}, step=0)
        page.click("#refresh")
        expect(page.locator("#experiment-list li[data-id]")).to_have_count(2)
        page.click("#select-shown")
        wait_for(page, "() => document.querySelector('[data-metric=loss]')?.data?.length === 2")

        second = add_experiment(store, "second", {"lr": 0.01}, [{"loss": 0.5}, {"loss": 0.3}])
        live.log_metrics({"loss": 1.5}, step=1)
        page.click("#refresh")
        expect(page.locator(f'#experiment-list li[data-id="{second}"]')).to_have_count(1)
        expect(page.locator("#picker-count")).to_have_text("3 of 3 shown · 2 selected")
        wait_for(page, "id => document.querySelector('[data-metric=loss]').data"  # new record
                       ".find(t => t.meta === id).x.length === 2", live.experiment_id)
        page.check(f'#experiment-list input[value="{second}"]')
        wait_for(page, "() => document.querySelector('[data-metric=loss]').data.length === 3")
        screenshot(page, "refresh")

        shutil.rmtree(ExperimentManager(store).resolve(first))
        page.click("#refresh")
        expect(page.locator("#notice")).to_have_text(
            f"No longer in the store, removed from the selection: {first}")
        expect(page.locator("#experiment-list li[data-id]")).to_have_count(2)
        wait_for(page, "() => document.querySelector('[data-metric=loss]').data.length === 2")

        page.check("#auto-refresh")  # every 5 s, no click
        third = add_experiment(store, "third", {}, [{"loss": 0.1}])
        expect(page.locator(f'#experiment-list li[data-id="{third}"]')).to_have_count(
            1, timeout=12_000)
    finally:
        live.close()


def test_store_text_is_shown_as_text_never_run(page, store, ui):
    name = "<img src=x onerror=alert(1)>"
    run = add_experiment(store, name, {"<script>alert(2)</script>": "</td><b>x"},
                         [{"<b>acc</b>": 1.0}], tags={"<i>": "<u>"})
    open_page(page, ui, "metrics", [run])
    expect(page.locator("#experiment-list .name")).to_have_text(name)
    expect(page.locator("#metric-plots .gtitle")).to_have_text("<b>acc</b> (higher is better)")
    expect(page.locator("#metric-legend li")).to_have_text(f"{name} ({run})")
    page.click("#tab-hyperparameters")
    expect(page.locator("#hp-table tbody th")).to_have_text("<script>alert(2)</script>")
    expect(page.locator("#hp-table tbody td")).to_have_text("</td><b>x")
    page.click("#tab-best")
    page.wait_for_selector("#panel-best[data-state=ready]")
    expect(page.locator("#best-chart .xtick text")).to_have_text("<b>acc</b> ↑")
    page.click("#tab-summary")
    expect(page.locator(".card h3 .name")).to_have_text(name)
    expect(page.locator('.card dd[data-fact="Tags"]')).to_have_text("<i>=<u>")
    assert page.locator("img[src=x], script:not([src]), b, i, u").count() == 0
