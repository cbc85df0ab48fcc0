"""Population-based training, built on the same training loop as every other run.

A population of members trains in rounds. After each round the weakest quantile copy the
weights and hyperparameters of a member of the strongest quantile (exploit), then perturb
the copied hyperparameters (explore: numbers times 0.8 or 1.2, categories resampled now and
then). Only hyperparameters that leave the weight shapes unchanged can move between members
(learning rate, momentum, dropout, batch size...); those that change the architecture are
drawn once and shared by the whole population. Each member is an Optuna trial (its value per
round reported as intermediate values), and every exploit is recorded with the checksums of
the weights before and after the copy.
"""

from __future__ import annotations

import copy
import hashlib
import random
import types
from dataclasses import dataclass, field
from typing import Any

from compiler.analysis import analyze
from runner.hpo.search_space import SearchDim, active_dims, render_values


@dataclass
class Member:
    index: int
    values: dict[str, Any]
    trial: Any = None
    weights: Any = None
    score: float | None = None
    scores: list[float] = field(default_factory=list)
    schedule: list[dict[str, Any]] = field(default_factory=list)
    tracker: Any = None


def weights_of(model: Any, backend: str) -> Any:
    if backend == "pytorch":
        return {k: v.detach().clone() for k, v in model.state_dict().items()}
    return [w.copy() for w in model.get_weights()]


def load_weights(model: Any, weights: Any, backend: str) -> None:
    if backend == "pytorch":
        model.load_state_dict(weights)
    else:
        model.set_weights(weights)


def checksum(weights: Any, backend: str) -> str:
    h = hashlib.sha256()
    arrays = [v.cpu().numpy() for _, v in sorted(weights.items())] if backend == "pytorch" else weights
    for a in arrays:
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def architecture_dims(search: Any, dims: list[SearchDim], base: dict[str, Any]) -> set[str]:
    """Dimensions whose values change a layer's shapes or parameter counts."""
    def signature(values: dict[str, Any]) -> tuple:
        a = analyze(render_values(search.text, search.network, dims, values))
        sh = a.shapes_of(a.network(search.network.name))
        if sh is None:
            return ()
        return tuple((tuple(ls.outputs or ()), ls.params) for ls in sh.layers)

    ref = signature(base)
    out = set()
    for d in dims:
        vals = d.grid_values()
        for v in (vals[0], vals[-1]):
            if signature({**base, d.name: v}) != ref:
                out.add(d.name)
                break
    return out


def perturb(d: SearchDim, value: Any, rng: random.Random, factors: tuple[float, float]) -> Any:
    if d.kind == "categorical":
        return rng.choice(d.choices) if rng.random() < 0.25 else value
    v = value * rng.choice(factors)
    v = min(max(v, d.low), d.high)
    if d.step is not None:
        v = d.low + round((v - d.low) / d.step) * d.step
        v = float(f"{v:.12g}")
    if d.kind == "int":
        v = int(round(v))
    return v


def run_pbt(search: Any, reporter=None):
    import optuna

    from runner.program import generate, import_module
    from runner.training import fit

    strat = search.strategy
    cfg = search.config
    backend = cfg.backend
    rng = random.Random(strat.seed if strat.seed is not None else 0)
    total_epochs = search.epochs  # settled once (runner.hpo.config), as every search reads it
    rounds = strat.rounds or min(total_epochs, 5)
    per_round = max(1, total_epochs // rounds)
    size = search.n_trials  # the population: PBTStrategy.trial_count
    study = search.study(sampler=optuna.samplers.RandomSampler(seed=strat.seed))
    dims = search.dims

    members: list[Member] = []
    for i in range(size):
        trial = study.ask()
        values = strat.draw(trial, dims)
        members.append(Member(i, values, trial))
    arch = architecture_dims(search, dims, members[0].values)
    for m in members[1:]:
        for name in arch:
            if name in members[0].values:
                m.values[name] = members[0].values[name]
    events: list[dict[str, Any]] = []  # every exploit, with the weights' checksums
    ds = search.data()
    import tempfile
    from pathlib import Path

    tmp = tempfile.TemporaryDirectory(prefix="neural_pbt_")
    session = search.tracking_session() if cfg.track else None  # as every search's trials
    if session is not None:
        from runner.tracking import ExperimentTracker

        for m in members:
            m.tracker = ExperimentTracker(f"{search.network.name}_pbt{m.index}", base_dir=cfg.base_dir,
                                          tags={"study": search.study_name, "trial": m.trial.number,
                                                "search": "pbt"}, session=session)
    try:
        for r in range(rounds):
            for m in members:
                m.schedule.append(dict(m.values))
                program = search.trial_program(m.values)
                program.values = m.values
                code = generate(program, backend)
                path = Path(tmp.name) / f"member{m.index}_r{r}.py"
                path.write_text(code)
                module = import_module(path, f"neural_pbt_{m.index}_{r}")
                proxy = _with_weights(module, m.weights, backend)
                hist = fit(proxy, ds, epochs=per_round, quiet=True, seed=(cfg.seed or 0) + m.index,
                           metrics=search.extra_metrics)
                series = [e[search.metric] for e in hist.epochs if search.metric in e]
                m.score = series[-1]
                m.scores.append(m.score)
                m.weights = weights_of(hist.model, backend)
                m.trial.report(m.score, r)
                if m.tracker is not None:
                    m.tracker.log_metrics({**hist.epochs[-1], "round": r}, step=r + 1)
            if r == rounds - 1:
                break
            ranked = sorted(members, key=lambda m: m.score, reverse=search.direction == "maximize")
            k = max(1, int(len(ranked) * strat.quantile))
            top, bottom = ranked[:k], ranked[-k:]
            for weak in bottom:
                strong = rng.choice(top)
                before = checksum(weak.weights, backend)
                weak.weights = copy.deepcopy(strong.weights)
                weak.values = dict(strong.values)
                for d in active_dims(dims, weak.values):
                    if d.name not in arch and d.name in weak.values:
                        weak.values[d.name] = perturb(d, weak.values[d.name], rng, strat.perturb)
                events.append({
                    "round": r, "member": weak.index, "copied_from": strong.index,
                    "weights_before": before, "donor_weights": checksum(strong.weights, backend),
                    "weights_after": checksum(weak.weights, backend), "new_values": dict(weak.values),
                })
    finally:
        tmp.cleanup()
    for m in members:
        m.trial.set_user_attr("schedule", m.schedule)
        m.trial.set_user_attr("final_values", m.values)
        study.tell(m.trial, m.score)
        if m.tracker is not None:
            m.tracker.log_hyperparameters({**m.values, "member": m.index})
            m.tracker.finish("completed")
        if reporter:
            reporter(study, study.get_trials(deepcopy=False)[m.trial.number])
    if session is not None:  # its helper finishes the plots asked for, then exits
        session.close()
        search._session = None
    study.set_user_attr("pbt_events", events)
    return search.finish(study, pbt={"architecture": sorted(arch), "events": events})


def _with_weights(module: Any, weights: Any, backend: str) -> Any:
    """The generated module, but build_model starts from the given weights."""
    if weights is None:
        return module
    proxy = types.SimpleNamespace(**{k: getattr(module, k) for k in
                                     ("BACKEND", "CONFIG", "build_optimizer", "build_loss", "build_logits_loss")
                                     if hasattr(module, k)})

    def build_model():
        model = module.build_model()
        load_weights(model, weights, backend)
        return model

    proxy.build_model = build_model
    proxy.__name__ = getattr(module, "__name__", "member")
    return proxy
