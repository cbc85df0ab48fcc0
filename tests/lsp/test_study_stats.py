"""The numbers the editor shows about a study, from hand-made trials (pure functions)."""

from __future__ import annotations

import pytest

from compiler.analysis import analyze
from neural_lsp.results import study_stats
from neural_lsp.results.study_files import Study, Trial

PROGRAM = """network N {
  input: (8,)
  layers:
    Dense(HPO(choice(16, 64)))
    Dropout(HPO(range(0.0, 0.5, step=0.1)))
    Output(2, activation="softmax")
  optimizer: Adam(learning_rate=HPO(log_range(0.0001, 0.1)))
  train { batch_size: HPO(range(8, 128)) }
}
"""
UNITS, RATE, LR, BATCH = ("layers[0].Dense.units", "layers[1].Dropout.rate",
                          "optimizer.Adam.learning_rate", "train.batch_size")


def _params():
    return {p.name: p for p in analyze(PROGRAM).networks[0].space}


def _study(rows, direction="minimize") -> Study:
    trials = [Trial(i, "COMPLETE", value, user_attrs={"values": values}) for i, (values, value) in enumerate(rows)]
    return Study("s", "/nowhere", [direction], trials=trials)


def test_eta_squared_is_the_share_of_variance_each_parameter_explains():
    p = _params()
    # units alone decides the value; the dropout rate takes both values under each units
    rows = [({UNITS: 16, RATE: 0.0}, 1.0), ({UNITS: 16, RATE: 0.5}, 1.0),
            ({UNITS: 64, RATE: 0.0}, 0.0), ({UNITS: 64, RATE: 0.5}, 0.0)]
    got = study_stats.eta_squared(_study(rows), [p[UNITS], p[RATE]])
    assert got == {UNITS: pytest.approx(1.0), RATE: pytest.approx(0.0)}
    # half and half: units explains 0.8 of the variance, rate 0.2 -> normalised 0.8 / 0.2
    rows = [({UNITS: 16, RATE: 0.0}, 3.0), ({UNITS: 16, RATE: 0.5}, 1.0),
            ({UNITS: 64, RATE: 0.0}, -1.0), ({UNITS: 64, RATE: 0.5}, -3.0)]
    got = study_stats.eta_squared(_study(rows), [p[UNITS], p[RATE]])
    assert got[UNITS] == pytest.approx(0.8) and got[RATE] == pytest.approx(0.2)
    assert study_stats.eta_squared(_study(rows[:2]), [p[UNITS]]) == {}, "fewer than 3 trials"


def test_rows_per_option_per_value_and_per_fifth_of_a_range():
    p = _params()
    assert study_stats.labels(p[UNITS]) == ["16", "64"]
    # six values: more than BINS, so five parts; a range with at most five values has a row each
    assert study_stats.labels(p[RATE]) == ["0–0.1", "0.1–0.2", "0.2–0.3", "0.3–0.4", "0.4–0.5"]
    assert [study_stats.group_of(p[RATE], v) for v in (0.0, 0.2, 0.5)] == [0, 2, 4]
    few = analyze(PROGRAM.replace("range(0.0, 0.5, step=0.1)", "range(0.0, 0.2, step=0.1)")).networks[0].space
    assert study_stats.labels(few.get(RATE)) == ["0", "0.1", "0.2"]
    assert study_stats.labels(p[LR]) == ["0.0001–0.0003981", "0.0003981–0.001585", "0.001585–0.00631",
                                         "0.00631–0.02512", "0.02512–0.1"]
    assert [study_stats.group_of(p[LR], v) for v in (0.0001, 0.001, 0.1, 0.2)] == [0, 1, 4, None]
    assert study_stats.group_of(p[UNITS], 64) == 1 and study_stats.group_of(p[UNITS], 32) is None
    rows = [({UNITS: 16}, 0.5), ({UNITS: 16}, 0.3), ({UNITS: 64}, 0.4)]
    st = study_stats.param_stats(_study(rows), p[UNITS])
    assert (st.tried, st.best_value, st.best_metric) == (3, 16, 0.3)
    assert [(r.label, r.count, r.best, r.mean) for r in st.rows] == \
        [("16", 2, 0.3, pytest.approx(0.4)), ("64", 1, 0.4, 0.4)]
    st = study_stats.param_stats(_study(rows, "maximize"), p[UNITS])
    assert (st.best_value, st.rows[0].best) == (16, 0.5)


def test_edges_need_enough_trials_and_all_best_at_the_bound():
    p = _params()
    near = [({LR: 0.09 - i * 0.001}, 0.1 + i * 0.01) for i in range(4)]
    far = [({LR: 0.0002 * (i + 1)}, 1.0 + i) for i in range(4)]
    assert study_stats.edges(_study(near + far[:1]), [p[LR]]) == [], "5 complete trials are too few"
    (edge,) = study_stats.edges(_study(near + far), [p[LR]])
    assert (edge.side, edge.top, edge.bound) == ("upper", 4, 0.1)
    mixed = [near[0], far[0], *near[1:], *far[1:]]
    mixed[1] = (far[0][0], 0.105)  # a far value among the best four
    assert study_stats.edges(_study(mixed), [p[LR]]) == []


def test_widening_keeps_the_scale_the_type_and_the_sign():
    p = _params()
    assert study_stats.widened(p[LR], "upper") == (0.0001, 1.0)
    assert study_stats.widened(p[LR], "lower") == (1e-05, 0.1)
    assert study_stats.widened(p[BATCH], "upper") == (8, 248)
    assert study_stats.widened(p[BATCH], "lower") == (0, 128), "a non-negative range stays so"
    assert study_stats.widened(p[RATE], "lower") is None, "already at 0: nowhere to go"
    assert study_stats.widened(p[RATE], "upper") == (0.0, 1.0)


def test_an_option_is_judged_only_after_enough_trials():
    p = _params()
    good = [({UNITS: 64}, 0.1 * i) for i in range(4)]
    bad = [({UNITS: 16}, 1.0 + i) for i in range(3)]
    (u,) = study_stats.unused_options(_study(good + bad), [p[UNITS]])
    assert (u.option, u.tried, u.complete) == (0, 3, 7)
    assert study_stats.unused_options(_study(good + bad[:2]), [p[UNITS]]) == [], "6 trials, 16 tried twice"
