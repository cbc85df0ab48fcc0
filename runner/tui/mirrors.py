"""How to open an experiment's MLflow / TensorBoard / W&B mirror, from metadata.json.

The tracker records each mirror as {"backend", "options", "state"} (state holds what the
integration reported: MLflow's tracking URI and run id, TensorBoard's log folder, W&B's
run id and folder) or {"backend", "error"} when it could not start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _mlflow(state: dict[str, Any], options: dict[str, Any]) -> str:
    uri = state.get("tracking_uri") or options.get("tracking_uri") or ""
    run = state.get("run_id") or ""
    if str(uri).startswith(("http://", "https://")):
        return f"MLflow: open {uri} (run {run})"
    return f"MLflow: mlflow ui --backend-store-uri {uri}   (run {run})"


def _tensorboard(state: dict[str, Any], options: dict[str, Any]) -> str:
    log_dir = state.get("log_dir") or options.get("log_dir") or ""
    return f"TensorBoard: tensorboard --logdir {log_dir}"


def _wandb(state: dict[str, Any], options: dict[str, Any]) -> str:
    run, mode, folder = state.get("run_id", ""), state.get("mode", ""), state.get("dir", "")
    if mode == "offline":
        return f"W&B (offline): wandb sync {folder}/wandb/offline-run-*-{run}"
    return f"W&B: run {run} ({mode or 'online'}), files in {folder}"


HINTS: dict[str, Callable[[dict[str, Any], dict[str, Any]], str]] = {
    "mlflow": _mlflow,
    "tensorboard": _tensorboard,
    "wandb": _wandb,
}


def mirror_hints(mirrors: list[dict[str, Any]]) -> list[str]:
    """One line per recorded mirror: the command that opens it, or why it failed."""
    out = []
    for mirror in mirrors:
        backend = str(mirror.get("backend"))
        if mirror.get("error"):
            out.append(f"{backend}: mirror failed ({mirror['error']})")
            continue
        hint = HINTS.get(backend)
        state = mirror.get("state") if isinstance(mirror.get("state"), dict) else {}
        options = mirror.get("options") if isinstance(mirror.get("options"), dict) else {}
        out.append(hint(state, options) if hint else f"{backend}: {state or options}")
    return out
