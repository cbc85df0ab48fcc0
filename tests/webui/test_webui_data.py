"""The data layer without a browser: which experiments, which metrics, which parameters
differ, what the figures hold. Every store here is written by the real tracker."""

from __future__ import annotations

import json
import math
import shutil

import pytest
from webui_helpers import EXACT_LOSS, add_experiment

from runner.tracking import ExperimentManager, ExperimentTracker
from runner.webui import data


@pytest.fixture(scope="module")
def manager(shared_store):
    return ExperimentManager(shared_store[0])


@pytest.fixture(scope="module")
def ids(shared_store):
    return shared_store[1]


def strict_json(payload):
    """What the server sends: strict JSON (NaN/inf must already be gone)."""
    return json.loads(json.dumps(payload, allow_nan=False))


def test_experiment_list_is_newest_first_with_status_and_tags(manager, ids):
    listing = strict_json(data.experiment_list(manager))
    assert [e["id"] for e in listing["experiments"]] == [
        ids["many"], ids["live"], ids["broken"], ids["wider"], ids["baseline"]]
    by_id = {e["id"]: e for e in listing["experiments"]}
    assert by_id[ids["broken"]]["status"] == "failed"
    assert by_id[ids["live"]]["status"] == "running"
    assert by_id[ids["many"]]["status"] == "pruned"
    assert by_id[ids["baseline"]]["tags"] == {"team": "vision"}
    assert by_id[ids["baseline"]]["label"] == f"baseline ({ids['baseline']})"
    assert listing["base_dir"] == str(manager.base_dir.resolve())
    assert listing["palette"] == list(data.PALETTE)


def test_empty_or_missing_store_lists_nothing(tmp_path):
    assert data.experiment_list(ExperimentManager(tmp_path / "nowhere"))["experiments"] == []


def test_select_keeps_order_drops_duplicates_and_reports_unknown_ids(manager, ids):
    chosen, missing = data.select(
        manager, [ids["wider"], "deadbeef", ids["baseline"], ids["wider"], "../etc", ""])
    assert [e.experiment_id for e in chosen] == [ids["wider"], ids["baseline"]]
    assert [e.color for e in chosen] == list(data.PALETTE[:2])  # by position in the selection
    assert missing == ["deadbeef", "../etc", ""]


def test_metrics_view_one_plot_per_metric_one_trace_per_experiment(manager, ids):
    view = strict_json(data.metrics_view(manager, [ids["baseline"], ids["wider"], ids["live"]]))
    assert [m["name"] for m in view["metrics"]] == ["loss", "accuracy", "val_loss"]
    loss = view["metrics"][0]
    assert loss["mode"] == "min"
    traces = loss["figure"]["data"]
    assert [t["meta"] for t in traces] == [ids["baseline"], ids["wider"], ids["live"]]
    assert traces[0]["x"] == [0, 1, 2, 3] and traces[0]["y"][2] == EXACT_LOSS
    assert traces[0]["customdata"][2] == repr(EXACT_LOSS)  # the hover shows it exactly
    assert [t["line"]["color"] for t in traces] == list(data.PALETTE[:3])
    assert loss["figure"]["layout"]["xaxis"]["dtick"] == 1  # 4 steps: integer ticks
    val_loss = view["metrics"][2]
    assert [t["meta"] for t in val_loss["figure"]["data"]] == [ids["baseline"], ids["wider"]]
    assert view["records"] == {ids["baseline"]: 4, ids["wider"]: 4, ids["live"]: 1}


def test_non_finite_values_are_gaps_with_their_name_in_the_hover(manager, ids):
    view = strict_json(data.metrics_view(manager, [ids["broken"]]))
    loss, _accuracy, val_loss = (m["figure"]["data"][0] for m in view["metrics"])
    assert loss["y"] == [2.0, None] and loss["customdata"] == ["2.0", "NaN"]
    assert val_loss["y"] == [2.5, None] and val_loss["customdata"] == ["2.5", "Infinity"]


def test_long_runs_keep_automatic_ticks(store):
    run = add_experiment(store, "long", {}, [{"loss": 1 / (i + 1)} for i in range(40)])
    layout = data.metrics_view(ExperimentManager(store), [run])["metrics"][0]["figure"]["layout"]
    assert "dtick" not in layout["xaxis"]


def test_hyperparameters_view_marks_rows_and_cells_that_differ(manager, ids):
    view = strict_json(data.hyperparameters_view(
        manager, [ids["baseline"], ids["wider"], ids["broken"]]))
    rows = {r["key"]: r for r in view["rows"]}
    assert [r["key"] for r in view["rows"]] == [
        "lr", "batch_size", "optimizer.name", "optimizer.beta1"]  # differing first
    assert view["differing"] == 2 and view["total"] == 4
    assert rows["batch_size"]["values"] == ["32", "64", "32"]
    assert rows["batch_size"]["changed"] == [False, True, False]  # against the first column
    assert rows["lr"]["changed"] == [False, False, True]
    assert not rows["optimizer.name"]["differs"] and not any(rows["optimizer.name"]["changed"])


def test_hyperparameter_rows_compare_values_not_text():
    nan = math.nan
    rows = {r["key"]: r for r in data.hyperparameter_rows([
        {"units": 32, "flag": True, "gap": nan, "lr": 0.0037966815657622, "only_a": 1},
        {"units": 32.0, "flag": 1, "gap": nan, "lr": 0.0037966815657623},
    ])}
    assert not rows["units"]["differs"]  # 32 == 32.0
    assert rows["flag"]["differs"]  # True is not 1
    assert not rows["gap"]["differs"]  # NaN == NaN here
    lr = rows["lr"]
    assert lr["differs"] and lr["values"][0] == lr["values"][1] == "0.00379668"
    assert lr["exact"] == ["0.0037966815657622", "0.0037966815657623"]  # the tooltip tells
    assert rows["only_a"]["differs"] and rows["only_a"]["values"] == ["1", data.MISSING]


def test_best_view_caps_the_chart_at_ten_metrics_and_picks_winners(manager, ids):
    view = strict_json(data.best_view(manager, [ids["baseline"], ids["wider"], ids["many"]]))
    assert view["total"] == 15 and view["shown"] == data.BEST_METRICS_LIMIT == 10
    assert [r["metric"] for r in view["rows"]][:4] == ["loss", "accuracy", "val_loss", "m00"]
    traces = view["figure"]["data"]
    assert [t["meta"] for t in traces] == [ids["baseline"], ids["wider"], ids["many"]]
    assert all(len(t["x"]) == 10 for t in traces)
    assert view["figure"]["layout"]["barmode"] == "group"
    rows = {r["metric"]: r for r in view["rows"]}
    assert rows["loss"]["winner"] == 0 and rows["loss"]["values"][0]["value"] == 0.1  # min
    assert rows["accuracy"]["winner"] == 1 and rows["accuracy"]["values"][1]["value"] == 0.9
    assert rows["m11"]["values"][2] == {"value": 11.2, "step": 2, "text": "11.2",
                                        "exact": "11.2"}
    assert rows["m11"]["values"][0]["value"] is None  # not logged by baseline
    assert traces[0]["y"][3] is None  # m00 bar of baseline


def test_summary_view_reads_the_log_of_running_experiments(manager, ids):
    view = strict_json(data.summary_view(manager, [ids["live"], ids["broken"]]))
    live, broken = view["cards"]
    assert live["status"] == "running" and live["metric_records"] == 1
    assert live["end_time"] is None and live["tags"] == {"team": "nlp"}
    assert {m["metric"]: m["text"] for m in live["latest"]} == {"loss": "1.5", "accuracy": "0.3"}
    assert broken["status"] == "failed" and "RuntimeError: diverged" in broken["error"]
    assert {m["metric"]: m["exact"] for m in broken["latest"]}["val_loss"] == "Infinity"


def test_views_read_the_store_on_every_call(store):
    """Nothing is cached: new records, new experiments and deletions show at once."""
    manager = ExperimentManager(store)
    tracker = ExperimentTracker("growing", base_dir=store, auto_visualize=False,
                                capture_environment=False)
    tracker.log_metrics({"loss": 1.0})
    first = data.summary_view(manager, [tracker.experiment_id])["cards"][0]
    tracker.log_metrics({"loss": 0.5})
    tracker.log_hyperparameters({"lr": 0.1})
    second = data.summary_view(manager, [tracker.experiment_id])["cards"][0]
    assert (first["metric_records"], second["metric_records"]) == (1, 2)
    assert second["latest"][0]["text"] == "0.5"
    hp = data.hyperparameters_view(manager, [tracker.experiment_id])
    assert hp["rows"][0]["values"] == ["0.1"]
    tracker.finish()
    assert data.summary_view(manager, [tracker.experiment_id])["cards"][0]["status"] == "completed"
    other = add_experiment(store, "other", {}, [])
    assert len(data.experiment_list(manager)["experiments"]) == 2
    shutil.rmtree(manager.resolve(other))
    assert data.summary_view(manager, [other])["missing"] == [other]


def test_user_text_is_escaped_for_plotly(store):
    run = add_experiment(store, "<img src=x onerror=alert(1)>", {},
                         [{"<b>acc</b>": 1.0}])
    manager = ExperimentManager(store)
    figure = data.metrics_view(manager, [run])["metrics"][0]["figure"]
    assert figure["data"][0]["name"] == f"&lt;img src=x onerror=alert(1)&gt; ({run})"
    assert figure["layout"]["yaxis"]["title"]["text"] == "&lt;b&gt;acc&lt;/b&gt;"
    assert "<b>acc" not in json.dumps(data.best_view(manager, [run])["figure"])
    # the page's own lists get the raw text (inserted with textContent there)
    assert data.experiment_list(manager)["experiments"][0]["name"] == \
        "<img src=x onerror=alert(1)>"
