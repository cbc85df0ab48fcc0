"""Hand-written modules that follow the generated-code contract, for the runner's tests.

They are what `neural compile` emits, written by hand: BACKEND, CONFIG, build_model() taking
channels-last input, build_optimizer(), build_loss() matching the model's output.
"""

from __future__ import annotations

import types
from typing import Any

import pytest

DEFAULT_TRAIN = {
    "epochs": 3,
    "batch_size": 32,
    "validation_split": 0.2,
    "early_stopping": False,
    "patience": 2,
    "min_delta": 0.0,
    "seed": 0,
}


def _config(name: str, input_shape: tuple, loss: str, train: dict | None, device: str) -> dict:
    return {
        "network": name,
        "input_shape": input_shape,
        "loss": loss,
        "metrics": ["accuracy"],
        "train": {**DEFAULT_TRAIN, **(train or {})},
        "device": device,
    }


def torch_module(
    arch: str = "mlp",
    *,
    input_shape: tuple = (8, 8, 1),
    units: int = 10,
    activation: str | None = "softmax",
    loss: str = "sparse_categorical_crossentropy",
    optimizer: str = "adam",
    lr: float = 0.01,
    schedule: bool = False,
    train: dict | None = None,
    device: str = "cpu",
) -> types.ModuleType:
    torch = pytest.importorskip("torch")
    nn, F = torch.nn, torch.nn.functional

    class ChannelsFirst(nn.Module):
        def forward(self, x: Any) -> Any:
            return x.permute(0, 3, 1, 2)

    def build_model() -> Any:
        if arch == "mlp":
            flat = 1
            for d in input_shape:
                flat *= d
            layers = [nn.Flatten(), nn.Linear(flat, 32), nn.ReLU(), nn.Linear(32, units)]
        else:
            h, w, c = input_shape
            layers = [
                ChannelsFirst(), nn.Conv2d(c, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                nn.Linear(8 * ((h - 2) // 2) * ((w - 2) // 2), units),
            ]
        if activation == "softmax":
            layers.append(nn.Softmax(dim=-1))
        elif activation == "sigmoid":
            layers.append(nn.Sigmoid())
        return nn.Sequential(*layers)

    def build_optimizer(model: Any) -> tuple[Any, Any]:
        cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
        opt = cls(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.99**step) if schedule else None
        module.last_scheduler = sched
        return opt, sched

    def build_loss() -> Any:
        def log(p: Any) -> Any:
            return torch.log(p.clamp_min(1e-7))

        table = {
            "sparse_categorical_crossentropy": lambda out, y: F.nll_loss(log(out), y),
            "categorical_crossentropy": lambda out, y: -(y * log(out)).sum(dim=-1).mean(),
            "binary_crossentropy": lambda out, y: F.binary_cross_entropy(out, y),
            "mse": F.mse_loss,
            "nan": lambda out, y: (out * float("nan")).sum(),
        }
        return table[loss]

    module = types.ModuleType(f"contract_torch_{arch}")
    module.BACKEND = "pytorch"
    module.CONFIG = _config(module.__name__, input_shape, loss, train, device)
    module.build_model, module.build_optimizer, module.build_loss = build_model, build_optimizer, build_loss
    return module


def keras_module(
    arch: str = "mlp",
    *,
    input_shape: tuple = (8, 8, 1),
    units: int = 10,
    activation: str | None = "softmax",
    loss: str = "sparse_categorical_crossentropy",
    optimizer: str = "adam",
    lr: float = 0.01,
    schedule: bool = False,
    train: dict | None = None,
    device: str = "cpu",
) -> types.ModuleType:
    pytest.importorskip("tensorflow")
    import keras
    from keras import layers

    def build_model() -> Any:
        body = (
            [layers.Flatten(), layers.Dense(32, activation="relu")]
            if arch == "mlp"
            else [layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten()]
        )
        return keras.Sequential([keras.Input(shape=input_shape), *body, layers.Dense(units, activation=activation)])

    def build_optimizer() -> Any:
        rate = keras.optimizers.schedules.ExponentialDecay(lr, 10, 0.99) if schedule else lr
        cls = keras.optimizers.Adam if optimizer == "adam" else keras.optimizers.SGD
        return cls(learning_rate=rate)

    def build_loss() -> Any:
        if loss == "nan":
            return lambda y, out: keras.ops.sum(out) * float("nan")
        return loss

    module = types.ModuleType(f"contract_keras_{arch}")
    module.BACKEND = "tensorflow"
    module.CONFIG = _config(module.__name__, input_shape, loss, train, device)
    module.build_model, module.build_optimizer, module.build_loss = build_model, build_optimizer, build_loss
    return module


FACTORIES = {"pytorch": torch_module, "tensorflow": keras_module}
