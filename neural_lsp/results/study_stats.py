"""What a study says about one HPO expression: how often each option (or each part of a
range) was tried, how well it did, how much the parameter matters, and whether the best
trials press against a bound or never pick an option. Pure: trials in, numbers out.

Importance here is the share of the metric's variance explained by the parameter
(η², the correlation ratio: between-group variance over total variance, with a choice's
options or a range's bins as the groups), over complete trials, normalised so the
parameters of a study sum to 1. It is a quick, framework-free estimate: it ignores
interactions, unlike Optuna's fANOVA, which hpo_results.json carries once a search ends and
which is shown instead when present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from compiler.space import HPOParam
from neural_lsp.results.study_files import Study, Trial

BINS = 5  # a continuous range is summarised in this many equal parts (log parts for log_range)
EDGE = 0.05  # "at the edge": within this fraction of the range's width from a bound
EDGE_TOP = 5  # at most this many best trials must all sit at the edge
MIN_TOP = 3  # ... and at least this many
MIN_TRIALS_PER_OPTION = 3  # an option is judged once it was tried this often
MIN_COMPLETE = 6  # insights need at least this many complete trials


@dataclass(slots=True)
class Row:
    label: str
    count: int = 0
    best: float | None = None
    mean: float | None = None


@dataclass(slots=True)
class ParamStats:
    tried: int  # trials that had a value for the parameter
    complete: int  # ... and completed with a finite value
    best_value: Any = None  # the parameter's value in the study's best trial
    best_metric: float | None = None
    rows: list[Row] = field(default_factory=list)


def index_of(param: HPOParam, value: Any) -> int | None:
    """The option a trial's public value stands for, or None (not an option now)."""
    try:
        got = param.parse_public(value)
    except (ValueError, TypeError, IndexError):
        return None
    return got if isinstance(got, int) else None


def position(param: HPOParam, value: Any) -> float | None:
    """Where a value sits in a range: 0 at the lower bound, 1 at the upper (log scale for
    log_range); None for a value that is not a number."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    lo, hi = param.low, param.high
    if param.kind == "log_range":
        if value <= 0 or lo <= 0:
            return None
        lo, hi, value = math.log(lo), math.log(hi), math.log(value)
    if hi == lo:
        return None
    return (value - lo) / (hi - lo)


def group_of(param: HPOParam, value: Any) -> int | None:
    """The option (choice) or bin (range) a value falls in."""
    if param.kind in ("choice", "custom"):
        return index_of(param, value)
    vals = discrete(param)
    if vals is not None:
        return next((i for i, v in enumerate(vals) if _close(v, value)), None)
    p = position(param, value)
    if p is None or p < -1e-9 or p > 1 + 1e-9:
        return None
    return min(BINS - 1, max(0, int(p * BINS)))


def labels(param: HPOParam) -> list[str]:
    if param.kind in ("choice", "custom"):
        return [param.option_display(i) for i in range(len(param.options))]
    vals = discrete(param)
    if vals is not None:
        return [_num(v) for v in vals]
    edges = [_edge(param, i / BINS) for i in range(BINS + 1)]
    return [f"{_num(edges[i])}–{_num(edges[i + 1])}" for i in range(BINS)]


def discrete(param: HPOParam) -> list[Any] | None:
    """Every value of a range with at most BINS values (then each is its own row)."""
    if param.kind != "range":
        return None
    vals = param.values(limit=BINS)
    return vals


def _edge(param: HPOParam, frac: float) -> float:
    if param.kind == "log_range":
        a, b = math.log(param.low), math.log(param.high)
        return math.exp(a + (b - a) * frac)
    return param.low + (param.high - param.low) * frac


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _num(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def better(direction: str):
    """key for sorting trials best first."""
    sign = 1.0 if direction == "minimize" else -1.0
    return lambda t: sign * t.value


def ranked(study: Study) -> list[Trial]:
    """Complete trials with a finite value, best first."""
    return sorted((t for t in study.trials if t.finite), key=better(study.direction))


def param_stats(study: Study, param: HPOParam) -> ParamStats:
    name = param.name
    tried = [t for t in study.trials if name in t.values]
    done = [t for t in ranked(study) if name in t.values]
    st = ParamStats(len(tried), len(done))
    best = study.best()
    if best is not None and name in best.values:
        st.best_value, st.best_metric = best.values[name], best.value
    rows = [Row(label) for label in labels(param)]
    groups: list[list[float]] = [[] for _ in rows]
    for t in tried:
        g = group_of(param, t.values[name])
        if g is None:
            continue
        rows[g].count += 1
        if t.finite:
            groups[g].append(float(t.value))
    pick = min if study.direction == "minimize" else max
    for row, vals in zip(rows, groups, strict=True):
        if vals:
            row.best = pick(vals)
            row.mean = sum(vals) / len(vals)
    st.rows = rows
    return st


def eta_squared(study: Study, params: list[HPOParam]) -> dict[str, float]:
    """Each parameter's share of the metric's variance (η² over its options or bins),
    normalised to sum to 1; empty with fewer than 3 complete trials or no variance."""
    done = ranked(study)
    if len(done) < 3:
        return {}
    raw: dict[str, float] = {}
    for p in params:
        groups: dict[int, list[float]] = {}
        for t in done:
            v = t.values.get(p.name)
            g = group_of(p, v) if v is not None else None
            if g is not None:
                groups.setdefault(g, []).append(float(t.value))
        vals = [x for g in groups.values() for x in g]
        if len(vals) < 3 or len(groups) < 2:
            continue
        mean = sum(vals) / len(vals)
        total = sum((x - mean) ** 2 for x in vals)
        if total <= 0:
            continue
        between = sum(len(g) * (sum(g) / len(g) - mean) ** 2 for g in groups.values())
        raw[p.name] = between / total
    s = sum(raw.values())
    return {k: v / s for k, v in raw.items()} if s > 0 else {}


# ---------------------------------------------------------------------- insights
@dataclass(slots=True)
class Edge:
    """The best trials all sit near one bound of a range."""

    param: HPOParam
    side: str  # "upper" | "lower"
    top: int  # how many best trials
    bound: float


@dataclass(slots=True)
class Unused:
    """An option of a choice never among the better half of the trials."""

    param: HPOParam
    option: int
    tried: int  # how many trials chose it
    complete: int  # complete trials of the study


def edges(study: Study, params: list[HPOParam]) -> list[Edge]:
    done = ranked(study)
    if len(done) < MIN_COMPLETE:
        return []
    out = []
    for p in params:
        if p.kind not in ("range", "log_range"):
            continue
        with_p = [t for t in done if isinstance(t.values.get(p.name), (int, float))]
        k = min(EDGE_TOP, len(with_p) // 2)
        if k < MIN_TOP:
            continue
        pos = [position(p, t.values[p.name]) for t in with_p[:k]]
        if any(x is None for x in pos):
            continue
        if all(x >= 1 - EDGE for x in pos):
            out.append(Edge(p, "upper", k, p.high))
        elif all(x <= EDGE for x in pos):
            out.append(Edge(p, "lower", k, p.low))
    return out


def unused_options(study: Study, params: list[HPOParam]) -> list[Unused]:
    done = ranked(study)
    if len(done) < MIN_COMPLETE:
        return []
    out = []
    for p in params:
        if p.kind not in ("choice", "custom") or len(p.options) < 2:
            continue
        with_p = [t for t in done if p.name in t.values]
        if len(with_p) < MIN_COMPLETE:
            continue
        half = with_p[: len(with_p) // 2]
        top = {index_of(p, t.values[p.name]) for t in half}
        for i in range(len(p.options)):
            tried = sum(1 for t in with_p if index_of(p, t.values[p.name]) == i)
            if tried >= MIN_TRIALS_PER_OPTION and i not in top:
                out.append(Unused(p, i, tried, len(with_p)))
    return out


def widened(param: HPOParam, side: str) -> tuple[float, float] | None:
    """New bounds for a range whose best trials sit at `side`: as wide again toward that
    side (x10 for a log range); a range starting at or above 0 stays there. None when it
    cannot move that way."""
    lo, hi = param.low, param.high
    if param.kind == "log_range":
        lo, hi = (lo, hi * 10) if side == "upper" else (lo / 10, hi)
    else:
        width = hi - lo
        if side == "upper":
            hi = hi + width
        else:
            lo = max(lo - width, 0) if lo >= 0 else lo - width
    if param.is_int:
        lo, hi = int(round(lo)), int(round(hi))
    else:
        lo, hi = float(f"{lo:.6g}"), float(f"{hi:.6g}")
    if (lo, hi) == (param.low, param.high):
        return None
    return lo, hi
