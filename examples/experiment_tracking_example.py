"""Experiment tracking, end to end: the tour the tracking guide promises.

    python examples/experiment_tracking_example.py [--base-dir DIR] [--mirror mlflow|tensorboard|wandb]

It runs in a few seconds with no ML framework: the "training" is a small numpy model fitted by
gradient descent, so the numbers are real. It shows:

1. basic tracking: hyperparameters, metrics per step, notes and tags, status on exit;
2. artifact versioning: checkpoints stored as versions of "model.npz" with SHA-256 checksums;
3. a mirror (MLflow, TensorBoard or W&B offline) when that library is installed;
4. comparing experiments: best values, comparison plots and an HTML report;
5. visualizations: per-metric curves, combined plot, correlations, distributions;
6. the comparison web UI, started on a free local port and stopped again.

Everything lands in the store (`neural_experiments/` by default): `neural track list`,
`neural tui` and `neural track ui` show it afterwards.
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from compiler.store import store_dir
from runner.tracking import ExperimentComparisonUI, ExperimentManager, ExperimentTracker

MIRROR_MODULES = {"mlflow": "mlflow", "tensorboard": "tensorboard", "wandb": "wandb"}


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping Gaussian blobs in 2-D: logistic regression learns them, but not perfectly."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=400)
    x = rng.normal(size=(400, 2)) + np.where(y[:, None] == 1, 0.6, -0.6) + 3.0  # off-centre: bias matters
    return x, y


def train(tracker: ExperimentTracker, lr: float, epochs: int, checkpoints: Path) -> float:
    """Logistic regression by gradient descent; logs loss/accuracy each epoch and checkpoints."""
    x, y = make_data()
    x_train, y_train, x_val, y_val = x[:300], y[:300], x[300:], y[300:]
    w, b = np.zeros(2), 0.0
    tracker.log_hyperparameters({"learning_rate": lr, "epochs": epochs, "model": "logistic"})
    best = 0.0
    for epoch in range(epochs):
        p = 1 / (1 + np.exp(-(x_train @ w + b)))
        w -= lr * x_train.T @ (p - y_train) / len(y_train)
        b -= lr * float(np.mean(p - y_train))
        p_val = 1 / (1 + np.exp(-(x_val @ w + b)))
        eps = 1e-9
        metrics = {
            "loss": float(-np.mean(y_train * np.log(p + eps) + (1 - y_train) * np.log(1 - p + eps))),
            "val_loss": float(-np.mean(y_val * np.log(p_val + eps) + (1 - y_val) * np.log(1 - p_val + eps))),
            "accuracy": float(np.mean((p > 0.5) == y_train)),
            "val_accuracy": float(np.mean((p_val > 0.5) == y_val)),
        }
        tracker.log_metrics(metrics, step=epoch)
        best = max(best, metrics["val_accuracy"])
        if epoch % 5 == 4:  # a checkpoint every 5 epochs: versions 1, 2, ... of "model.npz"
            path = checkpoints / f"checkpoint_{epoch}.npz"
            np.savez(path, w=w, b=b)
            tracker.log_model(path, framework="numpy")
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-dir", help="the experiment store (default: $NEURAL_EXPERIMENTS_DIR, else ./neural_experiments)")
    parser.add_argument("--mirror", choices=tuple(MIRROR_MODULES), default="tensorboard",
                        help="also mirror the first run here, when the library is installed")
    args = parser.parse_args(argv)
    base = Path(store_dir(args.base_dir))
    ids = []
    with tempfile.TemporaryDirectory() as tmp:
        checkpoints = Path(tmp)

        print("1. basic tracking and 2. artifact versioning")
        mirror = args.mirror if importlib.util.find_spec(MIRROR_MODULES[args.mirror]) else None
        for lr in (0.01, 0.1, 1.0):
            backend = mirror if not ids else None  # 3. the first run is mirrored too
            with ExperimentTracker(f"logistic_lr{lr}", base_dir=base, backend=backend,
                                   tags={"example": "tracking"}, notes="examples/experiment_tracking_example.py") as t:
                best = train(t, lr, epochs=20, checkpoints=checkpoints)
                versions = t.list_artifact_versions("model.npz")
                ids.append(t.experiment_id)
                print(f"   {t.experiment_name}: best val_accuracy {best:.3f}, "
                      f"{len(versions)} checkpoint versions (v{versions[-1].version} sha256 "
                      f"{versions[-1].checksum[:12]}...), verified: {t.verify_artifact('model.npz')}")
        print(f"3. mirror: {'the first run also went to ' + mirror if mirror else args.mirror + ' is not installed: skipped'}")

    manager = ExperimentManager(base)
    print("4. comparing experiments")
    best = manager.get_best_metric("val_loss", mode="min", tag="example=tracking")
    print(f"   lowest val_loss: {best['value']:.3f} by {best['experiment_name']} "
          f"({best['experiment_id']}, step {best['step']})")
    report = manager.export_comparison(ids, base / "comparison_report")
    print(f"   report: {Path(report) / 'index.html'}")

    print("5. visualizations")
    last = manager.get_experiment(ids[-1])
    plots = last.generate_visualizations()
    for name, path in sorted(plots.items()):
        print(f"   {name}: {path}")

    print("6. the comparison web UI")
    ui = ExperimentComparisonUI(manager=manager, port=0)  # port 0: any free port
    url = ui.start()
    try:
        with urllib.request.urlopen(url, timeout=10) as page:
            print(f"   served {url} (HTTP {page.status}); `neural track ui` keeps it open")
    finally:
        ui.stop()
    print(f"done: {len(ids)} experiments in {base}; try `neural track list --base-dir {base}`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
