"""Median time to fully analyse (parse, checks, shapes over the HPO space) generated
programs of 100, 1,000 and 10,000 layers, and the time per layer (linear growth keeps it
flat). Target: a 1,000-layer program well under 50 ms.

`--cli N` instead times `neural shapes` as a user runs it (a fresh process, stdout to a
file: not a terminal) on N-layer programs, text and `--format json`, next to the same
process doing nothing but parse the file (the baseline of that run). Programs: every layer
searched (`Dense(HPO(choice(16, 32)))`), the same without HPO, and every layer with an
unknown argument name (a did-you-mean each). Target (issue #13): a few seconds at 100,000.

    python benchmarks/compile_bench.py [--repeat 7]
    python benchmarks/compile_bench.py --cli 100000 [--repeat 3] [--cases hpo,plain] [--repo DIR]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import children_cpu

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


# One line repeated: the `neural shapes` cases (issue #13).
FLAT = {
    "hpo": "Dense(HPO(choice(16, 32)))",
    "plain": "Dense(16)",
    "unknown": 'Dense(16, activaton="relu")',
}


def flat_program(n_layers: int, line: str) -> str:
    """`n_layers` copies of `line`, then a softmax output."""
    body = "".join(f"    {line}\n" for _ in range(n_layers))
    return ("network Flat {\n  input: (8,)\n  layers:\n" + body +
            '    Output(10, "softmax")\n  loss: "sparse_categorical_crossentropy"\n}\n')


REPO = Path(__file__).resolve().parent.parent
# The floor: the same process reading and parsing the file, with the cyclic GC off as the
# analysis has it, and nothing else.
PARSE_ONLY = ("import gc, sys; gc.disable(); from compiler.parser import parse; "
              "parse(open(sys.argv[1]).read())")


def timed(cmd: list[str], out_path: str, repo: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one process, its stdout written to a file; nan if it crashed.
    CPU time (user + system) is what a loaded machine distorts least."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    before = children_cpu()
    with open(out_path, "w") as out:
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True, cwd=repo, env=env,
                           check=False)
        wall = time.perf_counter() - t
    cpu = children_cpu() - before
    if "Traceback" in r.stderr:
        last = r.stderr.strip().splitlines()[-1]
        print(f"  {' '.join(cmd[3:])} crashed after {wall:.1f} s: {last[:200]}")
        return math.nan, math.nan
    return wall, cpu


def cli(n: int, repeat: int, cases: list[str], repo: Path) -> None:
    py = sys.executable
    print(f"neural shapes ({repo}), {n:,} layers, stdout to a file; median of {repeat}; "
          "seconds wall / CPU")
    print(f"{'program':>8} {'parse only':>12} {'text':>12} {'json':>12} {'text/parse (CPU)':>17}")
    with tempfile.TemporaryDirectory() as tmp:
        for label in cases:
            src = os.path.join(tmp, "p.neural")
            Path(src).write_text(flat_program(n, FLAT[label]))
            out = os.path.join(tmp, "out")
            runs = {
                "parse": [py, "-c", PARSE_ONLY, src],
                "text": [py, "-m", "runner", "shapes", src],
                "json": [py, "-m", "runner", "shapes", src, "--format", "json"],
            }
            t = {}
            for k, cmd in runs.items():
                got = [timed(cmd, out, repo) for _ in range(repeat)]
                t[k] = (statistics.median(w for w, _c in got), statistics.median(c for _w, c in got))
            cells = " ".join(f"{w:>5.2f} / {c:<4.2f}" for w, c in t.values())
            print(f"{label:>8} {cells} {t['text'][1] / t['parse'][1]:>16.1f}x")


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
    ap.add_argument("--cli", type=int, metavar="N", help="time `neural shapes` on N-layer programs")
    ap.add_argument("--cases", default=",".join(FLAT), help=f"with --cli: some of {', '.join(FLAT)}")
    ap.add_argument("--repo", type=Path, default=REPO,
                    help="with --cli: the source tree to run (e.g. an export of an older commit)")
    args = ap.parse_args()
    if args.cli:
        cli(args.cli, args.repeat, [c.strip() for c in args.cases.split(",")], args.repo.resolve())
        return
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
