"""A study is one program's search: a real Optuna journal study, real (tiny) training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.hpo import HPOptimizer, NoTrialSucceeded, Search, SearchConfig
from runner.program import ProgramError
from tests.hpo.conftest import TINY

pytestmark = pytest.mark.torch


def _search(path: Path, trials: int = 1, **cfg) -> Search:
    base = cfg.pop("base_dir", str(path.parent / "store"))
    return Search(path.read_text(), path, None, None, cfg.pop("method", "random"),
                  SearchConfig(n_trials=trials, seed=0, base_dir=base, num_samples=300,
                               dataset=cfg.pop("dataset", "digits"), track=cfg.pop("track", False),
                               epochs=1, **cfg))


def test_identical_search_resumes_and_says_so(tiny):
    first = _search(tiny, 2)
    r1 = first.run()
    again = _search(tiny, 1)
    notes = again.prepare()
    assert notes == [f"resuming study {r1.study_name}: 2 trials so far (2 complete)"]
    r2 = again.run()
    assert r2.study_name == r1.study_name and len(r2.trials) == 3
    assert r1.study_name.startswith("tiny-Tiny-") and r1.study_name.endswith(first.fingerprint)


def test_edited_choice_values_start_a_new_study_and_say_why(tiny):
    r1 = _search(tiny).run()
    tiny.write_text(TINY.replace("choice(16, 32)", "choice(64, 128)"))
    edited = _search(tiny)
    notes = edited.prepare()  # today: CategoricalDistribution does not support dynamic value space
    assert edited.study_name != r1.study_name
    assert notes == [f"new study {edited.study_name}: the search differs from study {r1.study_name} "
                     "(layers[1].Dense.units: choice 16, 32 -> choice 64, 128)"]
    r2 = edited.run()
    assert len(r2.trials) == 1 and r2.best_params["layers[1].Dense.units"] in (64, 128)


def test_an_edited_fixed_layer_or_other_epochs_start_a_new_study(tiny):
    """The study used to resume and mix trials of two different models (or epoch counts)."""
    r1 = _search(tiny).run()
    tiny.write_text(TINY.replace("Output(10", "Dense(12)\n    Output(10", 1))
    edited = _search(tiny)
    assert edited.study_name != r1.study_name
    assert edited.prepare() == [f"new study {edited.study_name}: the search differs from study {r1.study_name} "
                                "(the network outside the search (fixed layers or arguments, loss, optimizer, "
                                "or train settings))"]
    tiny.write_text(TINY)
    longer = Search(TINY, tiny, None, None, "random",
                    SearchConfig(n_trials=1, seed=0, base_dir=str(tiny.parent / "store"), num_samples=300,
                                 dataset="digits", track=False, epochs=3))
    assert longer.study_name != r1.study_name
    assert longer.prepare() == [f"new study {longer.study_name}: the search differs from study {r1.study_name} "
                                "(epochs: 1 -> 3)"]


def test_a_named_study_of_another_search_is_an_error_naming_the_differences(tiny):
    _search(tiny, study_name="mine").run()
    tiny.write_text(TINY.replace("choice(16, 32)", "choice(64, 128)"))
    with pytest.raises(ProgramError) as err:
        _search(tiny, study_name="mine").prepare()
    assert "study 'mine' is a different search" in str(err.value)
    assert "layers[1].Dense.units: choice 16, 32 -> choice 64, 128" in str(err.value)
    with pytest.raises(ProgramError, match="dataset: digits"):
        _search(tiny, study_name="mine", dataset="synthetic").prepare()


def test_two_programs_with_one_network_name_in_one_folder_keep_apart(tmp_path):
    pytest.importorskip("optuna")
    a = TINY
    b = TINY.replace("choice(16, 32)", "choice(8, 12)")
    store = str(tmp_path / "store")
    best = {}
    for name, text in (("a", a), ("b", b)):
        opt = HPOptimizer(strategy="random", n_trials=2, seed=0, track=False, base_dir=store, epochs=1,
                          num_samples=300)
        best[name] = opt.optimize(text, "digits")  # the API's default path is the same for both
        best[name + "_study"] = opt.last_result.study_name
    assert best["a_study"] != best["b_study"]
    assert best["a"]["layers[1].Dense.units"] in (16, 32)
    assert best["b"]["layers[1].Dense.units"] in (8, 12)


def test_different_datasets_are_different_studies(tiny):
    r1 = _search(tiny).run()
    other = _search(tiny, dataset="synthetic")
    notes = other.prepare()
    assert other.study_name != r1.study_name
    assert "dataset: digits (first 300 samples) -> synthetic_classification (first 300 samples)" in notes[0]


def test_identity_is_recorded_in_the_study_results_and_experiments(tiny):
    import optuna

    from runner.hpo.storage import open_storage
    from runner.tracking import ExperimentManager

    s = _search(tiny, 2, track=True)
    r = s.run()
    data = json.loads(Path(r.results_path).read_text())
    assert data["dataset"] == "digits (first 300 samples)" and data["metric"] == "val_loss"
    assert data["backend"] == "pytorch" and data["fingerprint"] == s.fingerprint
    assert data["identity"] == s.identity
    study = optuna.load_study(study_name=r.study_name,
                              storage=open_storage(None, s.config.base_dir, r.study_name))
    assert study.user_attrs["identity"] == s.identity and study.user_attrs["fingerprint"] == s.fingerprint
    exps = ExperimentManager(s.config.base_dir).list_experiments()
    assert len(exps) == 2
    for e in exps:
        assert e["tags"]["fingerprint"] == s.fingerprint and e["tags"]["study"] == r.study_name
        assert json.loads(e["tags"]["search_identity"]) == s.identity


def test_unknown_dataset_or_metric_is_one_error_before_any_trial(tiny):
    for kwargs, words in (({"dataset": "MNIST"}, "MNIST"), ({"metric": "val_acc"}, "unknown metric")):
        with pytest.raises(ProgramError, match=words):
            _search(tiny, 3, **kwargs).run()
    assert not (tiny.parent / "store" / "hpo").exists() or not any((tiny.parent / "store" / "hpo").iterdir())


def test_the_api_raises_naming_the_first_trials_error_when_no_trial_succeeds(tiny):
    opt = HPOptimizer(strategy="random", n_trials=2, seed=0, track=False, base_dir=str(tiny.parent / "s"),
                      epochs=1, num_samples=300)
    zero = {"layers[1].Dense.units": {"type": "categorical", "values": [0]}}  # no trial can build this
    with pytest.raises(NoTrialSucceeded, match="the first error: these values give an invalid program"):
        opt.optimize(tiny.read_text(), "digits", search_space=zero)
