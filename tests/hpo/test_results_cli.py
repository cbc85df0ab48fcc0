"""After a search, as the guides type it: `neural visualize hpo_results.json` in the folder where
the search ran, and `neural track plot TRIAL --metrics parameter_importance`."""

from __future__ import annotations

import json
import subprocess
import sys


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "runner", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_visualize_and_importance_after_a_tracked_search(tiny):
    cwd = tiny.parent
    r = _cli("run", tiny.name, "--hpo", "--trials", "4", "--search", "random", "--seed", "1",
             "--pruner", "none", "--dataset", "digits", "--epochs", "1", cwd=cwd)
    assert r.returncode == 0, r.stderr
    # The study is named for the program's network and the search's fingerprint.
    (results,) = (cwd / "neural_experiments" / "hpo").glob("tiny-Tiny-*/hpo_results.json")
    assert json.loads(results.read_text())["importance"]
    study = results.parent.name

    v = _cli("visualize", "hpo_results.json", "--format", "png", cwd=cwd)
    assert v.returncode == 0, v.stderr
    assert f"plotting the newest search's, {results.relative_to(cwd)}" in v.stdout
    assert (results.parent / "optimization_history.png").exists()
    assert "ExperimentalWarning" not in v.stderr and "Warning" not in v.stderr

    listing = _cli("track", "list", "--tag", f"study={study}", cwd=cwd)
    assert listing.returncode == 0, listing.stderr
    trial_id = listing.stdout.split("\n")[1].split()[0]  # first data row, first column: the id
    p = _cli("track", "plot", trial_id, "--metrics", "parameter_importance", cwd=cwd)
    assert p.returncode == 0, p.stderr
    path = p.stdout.split("parameter_importance: ")[1].split()[0]
    assert path.endswith("plots/parameter_importance.png") and open(path, "rb").read(4) == b"\x89PNG"

    missing = _cli("visualize", "hpo_results.json", "--base-dir", "elsewhere", cwd=cwd)
    assert missing.returncode == 2 and "a search writes it as elsewhere/hpo/<study>/hpo_results.json" in missing.stderr


def test_importance_of_an_experiment_that_is_no_trial_says_so(tmp_path):
    from runner.tracking import ExperimentTracker

    with ExperimentTracker("plain", base_dir=tmp_path / "store", auto_visualize=False) as t:
        t.log_metrics({"loss": 1.0}, step=0)
    r = _cli("track", "plot", t.experiment_id, "--metrics", "parameter_importance",
             "--base-dir", str(tmp_path / "store"), cwd=tmp_path)
    assert r.returncode == 2 and "is not an HPO trial" in r.stderr and "Traceback" not in r.stderr
