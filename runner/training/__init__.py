"""Training loops for both backends behind one entry point and one callback interface.

    history = fit(module, dataset, callbacks=[tracker], quiet=True)

`module` follows the generated-code contract (BACKEND, CONFIG, build_model, build_optimizer,
build_loss); PyTorch or TensorFlow is imported only when a module of that backend is trained.
"""

from __future__ import annotations

from runner.training.callbacks import StopTraining, TrainInfo, TrainingCallback
from runner.training.errors import TrainingError
from runner.training.fit import fit
from runner.training.history import History
from runner.training.settings import DEFAULTS, TrainSettings

__all__ = [
    "DEFAULTS",
    "History",
    "StopTraining",
    "TrainInfo",
    "TrainSettings",
    "TrainingCallback",
    "TrainingError",
    "fit",
]
