"""Parallel workers: started from a fixed entry module (a plain script needs no __main__
guard), cores/N framework threads each, a real journal study."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.hpo.conftest import TINY

pytestmark = pytest.mark.torch

SCRIPT = '''
from runner.hpo import HPOptimizer, BaseStrategy

class FirstOption(BaseStrategy):  # defined in the script itself: workers must not import it
    def __init__(self):
        super().__init__(name="first_option")

    def suggest_parameters(self, trial, search_space):
        return {{n: s["values"][0] if s["type"] == "categorical" else s["min"] for n, s in search_space.items()}}

CODE = {code!r}
opt = HPOptimizer(strategy={strategy}, n_trials=4, parallel_trials=2, track=False, epochs=1, num_samples=300)
best = opt.optimize(CODE, "digits")
print("BEST", sorted(best), len(opt.last_result.trials))
'''


@pytest.mark.parametrize("strategy", ['"random"', "FirstOption()"])
def test_a_plain_script_without_a_main_guard_runs_parallel_trials(tmp_path: Path, strategy):
    pytest.importorskip("optuna")
    if strategy != '"random"':
        pytest.importorskip("cloudpickle")
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(SCRIPT.format(code=TINY, strategy=strategy)))
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "BEST ['layers[1].Dense.units', 'layers[2].Dropout.rate', 'optimizer.Adam.learning_rate'] 4" in r.stdout
    assert "RuntimeError" not in r.stderr and "freeze_support" not in r.stderr


def test_each_worker_gets_its_share_of_the_cores_and_says_so(tiny):
    import optuna

    from runner.hpo import Search, SearchConfig
    from runner.hpo.storage import open_storage
    from runner.hpo.workers import describe_workers, worker_threads

    s = Search(tiny.read_text(), tiny, None, None, "random",
               SearchConfig(n_trials=2, parallel=2, seed=0, track=False, epochs=1, num_samples=300,
                            dataset="digits", base_dir=str(tiny.parent / "store")))
    assert describe_workers(2) in s.prepare()
    r = s.run()
    study = optuna.load_study(study_name=r.study_name, storage=open_storage(None, s.config.base_dir, r.study_name))
    workers = [t.user_attrs["worker"] for t in study.get_trials()]
    assert [w["threads"] for w in workers] == [worker_threads(2)] * 2
    assert all(w["pid"] != os.getpid() for w in workers)
