"""Median time to fully analyse (parse, checks, shapes over the HPO space) generated
programs of 100, 1,000 and 10,000 layers, and the time per layer (linear growth keeps it
flat). Target: a 1,000-layer program well under 50 ms.

    python benchmarks/compile_bench.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from compiler.analysis import analyze
from compiler.parser import parse

# Four layers repeated: a searched convolution, batch norm, a searched dropout, a fixed
# convolution; the program has no diagnostic (benchmarks/lsp_bench.py uses it too).
BLOCK = [
    'Conv2D(filters=HPO(choice(8, 16)), kernel_size=(3, 3), padding="same", activation="relu")',
    "BatchNormalization()",
    "Dropout(HPO(range(0.1, 0.3, step=0.1)))  # searched",
    'Conv2D(16, (3, 3), padding="same", activation="relu")',
]


def program(n_layers: int) -> str:
    body = "\n".join(f"    {BLOCK[i % len(BLOCK)]}" for i in range(n_layers - 3))
    return (
        "network Bench {\n  input: (16, 16, 3)\n  layers:\n" + body +
        "\n    Flatten()\n    Dense(HPO(choice(64, 128)))\n    Output(10, \"softmax\")\n"
        '  loss: "sparse_categorical_crossentropy"\n'
        "  optimizer: Adam(learning_rate=HPO(log_range(1e-4, 1e-2)))\n"
        "  train { epochs: 5 batch_size: HPO(choice(32, 64)) }\n}\n"
    )


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    print(f"{'layers':>8} {'chars':>9} {'parse ms':>9} {'analyse ms':>11} {'us/layer':>9}")
    for n in (100, 1_000, 10_000):
        text = program(n)
        a = analyze(text)
        assert not a.diagnostics, a.diagnostics[:3]
        rep = args.repeat if n < 10_000 else max(3, args.repeat // 2)
        p = median_ms(lambda t=text: parse(t), rep)
        full = median_ms(lambda t=text: analyze(t), rep)
        print(f"{n:>8} {len(text):>9,} {p:>9.1f} {full:>11.1f} {full * 1000 / n:>9.1f}")


if __name__ == "__main__":
    main()
