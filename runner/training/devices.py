"""The DSL's device names (auto, cpu, cuda, cuda:N, mps, tpu) mapped to each framework's device.

"auto" is CUDA (the first GPU) when one is present, else the CPU. A device that is not there is a
TrainingError naming it, never a silent fallback to the CPU.
"""

from __future__ import annotations

from typing import Any

from runner.training.errors import TrainingError


def _cuda_index(spec: str) -> int:
    return int(spec.split(":", 1)[1]) if ":" in spec else 0


def _tpu_error(found: bool) -> TrainingError:
    if found:
        return TrainingError("device 'tpu': training on TPUs is not supported by this runner; use 'auto' or 'cpu'")
    return TrainingError("device 'tpu' is not available here: no TPU runtime was found; use 'auto' or 'cpu'")


def torch_device(spec: str) -> Any:
    """A torch.device for `spec`."""
    import torch

    if spec == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec.startswith("cuda"):
        index, count = _cuda_index(spec), torch.cuda.device_count() if torch.cuda.is_available() else 0
        if index >= count:
            raise TrainingError(
                f"device {spec!r} is not available to PyTorch: "
                + (f"it sees {count} CUDA device(s)" if count else "no CUDA device was found")
                + "; use 'auto' or 'cpu'"
            )
        return torch.device(f"cuda:{index}")
    if spec == "mps":
        if not torch.backends.mps.is_available():
            raise TrainingError("device 'mps' is not available: PyTorch has no Apple GPU (MPS) here; use 'auto' or 'cpu'")
        return torch.device("mps")
    import importlib.util

    raise _tpu_error(importlib.util.find_spec("torch_xla") is not None)


def tf_device(spec: str) -> str:
    """A TensorFlow device string (for `tf.device`) for `spec`."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if spec == "auto":
        return "/GPU:0" if gpus else "/CPU:0"
    if spec == "cpu":
        return "/CPU:0"
    if spec.startswith("cuda"):
        index = _cuda_index(spec)
        if index >= len(gpus):
            raise TrainingError(
                f"device {spec!r} is not available to TensorFlow: "
                + (f"it sees {len(gpus)} GPU(s)" if gpus else "no GPU was found")
                + "; use 'auto' or 'cpu'"
            )
        return f"/GPU:{index}"
    if spec == "mps":
        raise TrainingError("device 'mps' is not available to TensorFlow (it has no MPS device); use 'auto' or 'cpu'")
    raise _tpu_error(bool(tf.config.list_logical_devices("TPU")))
