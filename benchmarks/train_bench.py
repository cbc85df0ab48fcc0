"""Training speed of generated code against hand-written code for the same networks.

The same small CNN and MLP, per backend: the model `neural compile` generates and a
hand-written equivalent are trained for the same number of steps on the same batches with
the same plain loop; runs alternate and the median is taken. Prints generated/hand-written
(target: <= 1.05).

    python benchmarks/train_bench.py [--steps 300] [--repeat 5] [--backend pytorch|tensorflow|both]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from compiler.codegen import generate_code  # noqa: E402

MLP = """network MLP {
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(128, activation="relu")
    Dense(64, activation="relu")
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=0.001)
}"""

CNN = """network CNN {
  input: (28, 28, 1)
  layers:
    Conv2D(16, (3, 3), activation="relu")
    MaxPooling2D((2, 2))
    Conv2D(32, (3, 3), activation="relu")
    MaxPooling2D((2, 2))
    Flatten()
    Dense(64, activation="relu")
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=0.001)
}"""


def _module(code: str) -> types.ModuleType:
    m = types.ModuleType("generated")
    exec(compile(code, "generated", "exec"), m.__dict__)
    return m


# ------------------------------------------------------------------ PyTorch
def torch_hand(kind: str):
    import torch
    from torch import nn

    class HandMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                                     nn.Linear(64, 10))

        def forward(self, x):
            return torch.softmax(self.net(x), dim=-1)

    class HandCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3),
                                          nn.ReLU(), nn.MaxPool2d(2))
            self.head = nn.Sequential(nn.Linear(800, 64), nn.ReLU(), nn.Linear(64, 10))

        def forward(self, x):
            x = self.features(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
            return torch.softmax(self.head(torch.flatten(x, 1)), dim=-1)

    return HandMLP() if kind == "mlp" else HandCNN()


def torch_steps(model, shape, steps: int, batch: int = 64) -> float:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    xs = torch.rand(8, batch, *shape)
    ys = torch.randint(0, 10, (8, batch))
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    model.train()
    t = time.perf_counter()
    for i in range(steps):
        opt.zero_grad()
        out = model(xs[i % 8])
        loss = F.nll_loss(torch.log(out.clamp_min(1e-7)), ys[i % 8])
        loss.backward()
        opt.step()
    return time.perf_counter() - t


def bench_torch(steps: int, repeat: int) -> None:
    import torch

    torch.set_num_threads(2)
    for kind, src, shape in (("mlp", MLP, (8, 8, 1)), ("cnn", CNN, (28, 28, 1))):
        gen = _module(generate_code(src, "pytorch"))
        g, h = [], []
        for _ in range(repeat):
            g.append(torch_steps(gen.build_model(), shape, steps))
            h.append(torch_steps(torch_hand(kind), shape, steps))
        gm, hm = statistics.median(g), statistics.median(h)
        print(f"pytorch     {kind}: generated {gm * 1000 / steps:6.2f} ms/step  hand-written "
              f"{hm * 1000 / steps:6.2f} ms/step  ratio {gm / hm:.3f}")


# ------------------------------------------------------------------ Keras
def keras_hand(kind: str):
    import keras
    from keras import layers

    if kind == "mlp":
        return keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(128, activation="relu"),
                                 layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2),
                             layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                             layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])


def keras_steps(model, shape, steps: int, batch: int = 64) -> float:
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((batch * 8, *shape), dtype=np.float32)
    y = rng.integers(0, 10, batch * 8)
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # build and trace once
    epochs = max(1, steps // 8)
    t = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
    return (time.perf_counter() - t) / (epochs * 8) * steps


def bench_keras(steps: int, repeat: int) -> None:
    for kind, src, shape in (("mlp", MLP, (8, 8, 1)), ("cnn", CNN, (28, 28, 1))):
        gen = _module(generate_code(src, "tensorflow"))
        g, h = [], []
        for _ in range(repeat):
            g.append(keras_steps(gen.build_model(), shape, steps))
            h.append(keras_steps(keras_hand(kind), shape, steps))
        gm, hm = statistics.median(g), statistics.median(h)
        print(f"tensorflow  {kind}: generated {gm * 1000 / steps:6.2f} ms/step  hand-written "
              f"{hm * 1000 / steps:6.2f} ms/step  ratio {gm / hm:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--backend", choices=("pytorch", "tensorflow", "both"), default="both")
    args = ap.parse_args()
    if args.backend in ("pytorch", "both"):
        bench_torch(args.steps, args.repeat)
    if args.backend in ("tensorflow", "both"):
        bench_keras(args.steps, args.repeat)


if __name__ == "__main__":
    main()
