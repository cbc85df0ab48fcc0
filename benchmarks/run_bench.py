"""`neural run` without a search, as a whole process, against a hand-written PyTorch script.

Both train the same MLP on digits for the same epochs and print one line per epoch (ours to a
pipe: one plain line as each epoch ends). Timed from the command to the end of the first
epoch (start-up: interpreter, imports, data, model, and for us parsing, checking, the
experiment's folder and its environment record), from the end of the last epoch to the exit
(for us: the final record, plots handed to the helper, mirrors closed), and in all. The two
alternate, `--repeat` times; medians are printed. Goals (issue 16): start-up as fast as the
hand-written script, last epoch to the prompt under 0.5 s.

    python benchmarks/run_bench.py [--epochs 5] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hand_written import DIGITS_SPLIT

PROGRAM = """network Plain {
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(64, activation="relu")
    Dropout(0.2)
    Dense(32, activation="relu")
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=0.003)
  train { epochs: EPOCHS batch_size: 32 validation_split: 0.2 }
}
"""

HAND = """import sys
import numpy as np, torch
from sklearn.datasets import load_digits

EPOCHS = int(sys.argv[1])
""" + DIGITS_SPLIT + """torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                            torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
opt = torch.optim.Adam(model.parameters(), lr=0.003)
loss_fn = torch.nn.CrossEntropyLoss()
for epoch in range(EPOCHS):
    model.train()
    perm = torch.randperm(len(xt))
    total = 0.0
    for i in range(0, len(xt), 32):
        idx = perm[i:i + 32]
        loss = loss_fn(model(xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    model.eval()
    with torch.no_grad():
        val = loss_fn(model(xv), yv).item()
    print(f"epoch {epoch + 1}/{EPOCHS}  loss {total / len(xt):.4f}  val_loss {val:.4f}", file=sys.stderr, flush=True)
"""


def _timeline(argv: list[str], cwd: str) -> tuple[float, float, float]:
    """(command -> first epoch line, last epoch line -> exit, total) in seconds."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    epochs: list[float] = []
    lines: list[str] = []
    assert p.stderr is not None
    for line in p.stderr:
        lines.append(line)
        if line.startswith("epoch "):
            epochs.append(time.perf_counter() - t0)
    rc = p.wait()
    total = time.perf_counter() - t0
    if rc != 0 or not epochs:
        raise SystemExit(f"{' '.join(argv)} failed (exit {rc}):\n{''.join(lines)[-2000:]}")
    return epochs[0], total - epochs[-1], total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"`neural run` (tracking on) vs a hand-written PyTorch script: {args.epochs} epochs on digits, "
          f"whole processes, {args.repeat} alternating runs, medians; load {os.getloadavg()[0]:.1f}")
    runs = {"hand": [sys.executable, "hand.py", str(args.epochs)],
            "neural run": [sys.executable, "-m", "runner", "run", "plain.neural", "--dataset", "digits"],
            "--no-track": [sys.executable, "-m", "runner", "run", "plain.neural", "--dataset", "digits",
                           "--no-track"]}
    got: dict[str, list[tuple[float, float, float]]] = {k: [] for k in runs}
    with tempfile.TemporaryDirectory() as d:
        Path(d, "plain.neural").write_text(PROGRAM.replace("EPOCHS", str(args.epochs)))
        Path(d, "hand.py").write_text(HAND)
        for _ in range(args.repeat):
            for key, argv in runs.items():
                got[key].append(_timeline(argv, d))
    med = {k: tuple(statistics.median(x[i] for x in v) for i in range(3)) for k, v in got.items()}
    hand = med["hand"]
    print(f"    {'':12s} {'to 1st epoch':>13s} {'last epoch->exit':>17s} {'total':>8s}")
    for key, (first, tail, total) in med.items():
        ratio = "" if key == "hand" else f"   start-up {first / hand[0]:.2f}x, total {total / hand[2]:.2f}x"
        print(f"    {key:12s} {first:11.2f} s {tail:15.2f} s {total:6.2f} s{ratio}")
    print(f"    load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
