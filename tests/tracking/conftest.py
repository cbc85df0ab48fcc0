"""Every tracking test runs in its own tmp_path: working directory, experiment store,
MLflow / W&B / matplotlib settings. Nothing may land in the repository or in $HOME."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tracking_helpers, without a package


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    home = tmp_path / "home"
    for var in ("MLFLOW_TRACKING_URI", "NEURAL_EXPERIMENTS_DIR", "MLFLOW_ALLOW_FILE_STORE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("MPLCONFIGDIR", str(home / "matplotlib"))  # font cache, if first import
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_CONSOLE", "off")
    for var, sub in (("WANDB_DIR", "wandb"), ("WANDB_CACHE_DIR", "cache"),
                     ("WANDB_CONFIG_DIR", "config"), ("WANDB_DATA_DIR", "data")):
        monkeypatch.setenv(var, str(home / sub))
    return cwd


@pytest.fixture
def store(tmp_path):
    """The experiment base folder of a test."""
    return tmp_path / "store"


@pytest.fixture
def make_tracker(store):
    """make_tracker(name="exp", **kw): a tracker in the test's store, plots and environment
    capture off unless asked for (they are tested on their own)."""
    from runner.tracking import ExperimentTracker

    made = []

    def make(name="exp", **kw):
        kw.setdefault("base_dir", store)
        kw.setdefault("auto_visualize", False)
        kw.setdefault("capture_environment", False)
        tracker = ExperimentTracker(name, **kw)
        made.append(tracker)
        return tracker

    yield make
    for tracker in made:
        tracker.close()


@pytest.fixture(scope="session")
def _mlflow_template(tmp_path_factory):
    """An empty MLflow SQLite store, created once: MLflow's schema migrations take ~2 s
    per new database, and each test would otherwise pay them again."""
    import os

    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    folder = tmp_path_factory.mktemp("mlflow-template")
    old = os.getcwd()
    os.chdir(folder)  # MLflow resolves its default artifact root against the cwd
    try:
        MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}").search_experiments()
    finally:
        os.chdir(old)
    return folder / "mlflow.db"


@pytest.fixture
def mlflow_db(_mlflow_template):
    """mlflow_db(path) -> path: a copy of an already-migrated, empty MLflow database."""
    import shutil

    def place(path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_mlflow_template, path)
        return path

    return place
