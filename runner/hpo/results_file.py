"""hpo_results.json read back: the file a search writes (runner.hpo.results), as data or as
an in-memory Optuna study for plots and analysis. Apart from results.py so that analysis can
read a file without importing the code that writes one (they imported each other)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_results(path: str | Path) -> dict[str, Any]:
    """The data of an hpo_results.json; ValueError naming the file when it is not one."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise ValueError(f"{p}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{p}: not an hpo_results.json file ({exc})") from None
    if not isinstance(data, dict) or "trials" not in data:
        raise ValueError(f"{p}: not an hpo_results.json file (no 'trials')")
    return data


def study_from_results(data: dict[str, Any]) -> Any:
    """An in-memory Optuna study rebuilt from hpo_results.json (for plots)."""
    import optuna
    from optuna.distributions import json_to_distribution
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=data.get("direction", "minimize"), study_name=data.get("study"))
    if data.get("metric"):
        study.set_user_attr("metric", data["metric"])
    for t in data["trials"]:
        state = TrialState[t["state"]]
        if state not in (TrialState.COMPLETE, TrialState.PRUNED):
            continue
        dists = {k: json_to_distribution(v) for k, v in t.get("distributions", {}).items()}
        inter = {int(k): v for k, v in t.get("values_per_epoch", {}).items()}
        attrs = {k: t[k] for k in ("epochs", "worker") if t.get(k) is not None}
        study.add_trial(create_trial(state=state, value=t["value"] if state == TrialState.COMPLETE else None,
                                     params=t["params"], distributions=dists, intermediate_values=inter,
                                     user_attrs={**attrs, "values": t["params"]}))
    return study
