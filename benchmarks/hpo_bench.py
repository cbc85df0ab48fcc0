"""HPO figures.

(a) per-trial overhead of our search against raw Optuna on the same trivial objective: both
    use the same storage kind and sampler; ours also draws values from the program's space,
    renders and re-analyses the trial's program (what every real trial does before training).
(b) throughput with 1 and 2 worker processes on an objective that sleeps 50 ms.
(c) best validation loss after N trials of random vs TPE vs bayesian search on a fixed small
    network (digits), averaged over seeds.
(d) the README's kind of search on a program whose trials all do equal work (random search,
    no pruning, fixed widths): `neural run --hpo` with tracking on, as a whole process, vs the
    same search written by hand with Optuna + PyTorch (same trials, epochs, data, model, a
    whole process; PyTorch's default Adam, as people write it, and again with the fused Adam
    kernel our generated code uses, so the search's own overhead shows apart from the faster
    optimizer); and `--parallel 2` vs `--parallel 1` of the same command. Each trial
    trains for a few seconds (120 epochs, --epochs): with the 10-epoch trials of before
    (~0.4 s) the processes were mostly start-up (interpreter, torch, scikit-learn and data
    about 3-6 s of CPU, once per process and once per worker), so no parallel speed-up could
    show: 12 x 0.4 s of training is all that two workers can share.
(e) the Dask executor: the same search of real training trials (a few seconds each: a fixed
    256-256 MLP on digits, 24 epochs) on a local Dask cluster of 1 and then 2 worker processes
    (one thread each, one framework thread each; the study on the scheduler); each cluster is
    warmed up (framework imported) before the timed search, and each worker builds the search
    (program, data) once, at its first trial.

    python benchmarks/hpo_bench.py [--trials 200] [--quick] [--only a|b|c|d|e] [--epochs 120]
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
from measure import children_cpu

from runner.hpo import Search

PROGRAM = """network Bench {
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(HPO(choice(16, 32, 64)), activation=HPO(choice("relu", "tanh")))
    Dropout(HPO(range(0.0, 0.3, step=0.1)))
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=HPO(log_range(1e-3, 3e-2)))
  train { epochs: 3 batch_size: 64 validation_split: 0.2 }
}
"""


def _trivial(values: dict) -> float:
    lr = values["optimizer.Adam.learning_rate"]
    return (lr - 0.01) ** 2 + values["layers[2].Dropout.rate"] + values["layers[1].Dense.units"] / 1000


class MachinerySearch(Search):
    """Our study, storage, strategy and value drawing around the trivial objective."""

    def objective(self, trial):
        return _trivial(self.strategy.draw(trial, self.dims))


class TrivialSearch(Search):
    """The above plus what every real trial does before training: render and re-check the
    trial's program (parse, checks, shapes)."""

    def objective(self, trial):
        values = self.strategy.draw(trial, self.dims)
        self.trial_program(values)
        return _trivial(values)


class SleepSearch(Search):
    def objective(self, trial):
        values = self.strategy.draw(trial, self.dims)
        time.sleep(0.05)
        return _trivial(values)


def raw_optuna(n: int, sampler: str, storage_path: Path) -> float:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(storage_path)))
    # the same sampler settings our strategies use
    s = (optuna.samplers.TPESampler(seed=0, n_startup_trials=5) if sampler == "tpe"
         else optuna.samplers.RandomSampler(seed=0))
    study = optuna.create_study(storage=storage, sampler=s, study_name="raw")

    def objective(trial):
        values = {
            "layers[1].Dense.units": trial.suggest_categorical("layers[1].Dense.units", [16, 32, 64]),
            "layers[1].Dense.activation": trial.suggest_categorical("layers[1].Dense.activation", ["relu", "tanh"]),
            "layers[2].Dropout.rate": trial.suggest_float("layers[2].Dropout.rate", 0.0, 0.3, step=0.1),
            "optimizer.Adam.learning_rate": trial.suggest_float("optimizer.Adam.learning_rate", 1e-3, 3e-2, log=True),
        }
        return _trivial(values)

    stamps: list[float] = []
    study.optimize(objective, n_trials=n, callbacks=[lambda st, tr: stamps.append(time.perf_counter())])
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def ours(n: int, sampler: str, base: Path, cls: type = None) -> float:
    from runner.hpo import SearchConfig

    cfg = SearchConfig(n_trials=n, seed=0, track=False, base_dir=str(base), pruner="none", study_name="ours")
    s = (cls or TrivialSearch)(PROGRAM, "bench.neural", None, None, sampler, cfg)
    stamps: list[float] = []
    s.run(lambda st, tr: stamps.append(time.perf_counter()))
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def overhead(n: int) -> None:
    print(f"(a) per-trial time (between the first and last trial's end; set-up excluded), {n} trials,"
          " JournalStorage file, median of 3")
    for sampler in ("random", "tpe"):
        raw_t, mach_t, our_t = [], [], []
        for _ in range(3):
            with tempfile.TemporaryDirectory() as d:
                raw_t.append(raw_optuna(n, sampler, Path(d) / "raw.log"))
            with tempfile.TemporaryDirectory() as d:
                mach_t.append(ours(n, sampler, Path(d), MachinerySearch))
            with tempfile.TemporaryDirectory() as d:
                our_t.append(ours(n, sampler, Path(d), TrivialSearch))
        r, m, o = statistics.median(raw_t), statistics.median(mach_t), statistics.median(our_t)
        print(f"    {sampler:7s} raw Optuna {r * 1000:5.2f} ms/trial | our search {m * 1000:5.2f} ms "
              f"(ratio {m / r:4.2f}) | plus re-checking the trial's program {o * 1000:5.2f} ms (ratio {o / r:4.2f})")


def throughput(n: int) -> None:
    from runner.hpo import SearchConfig

    print(f"(b) {n} trials of a 50 ms objective (random sampler, journal file)")
    times = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as d:
            cfg = SearchConfig(n_trials=n, seed=0, track=False, base_dir=d, pruner="none", parallel=workers,
                               study_name=f"sleep{workers}")
            s = SleepSearch(PROGRAM, "bench.neural", None, None, "random", cfg)
            t = time.perf_counter()
            r = s.run()
            times[workers] = time.perf_counter() - t
            assert len(r.trials) == n, len(r.trials)
        print(f"    {workers} worker(s): {times[workers]:6.2f} s  ({n / times[workers]:5.1f} trials/s)")
    print(f"    speed-up with 2 workers: {times[1] / times[2]:.2f}x (ideal 2.0; includes process start-up)")


def quality(n: int, seeds: int) -> None:
    from runner.hpo import SearchConfig

    print(f"(c) best val_loss after {n} trials on digits, mean over {seeds} seeds (lower is better)")
    with tempfile.TemporaryDirectory() as d:
        from runner.data import load_dataset

        ds = load_dataset("digits", input_shape=(8, 8, 1))
        for method in ("random", "tpe", "bayesian"):
            bests = []
            for seed in range(seeds):
                cfg = SearchConfig(n_trials=n, seed=seed, track=False, base_dir=d, pruner="none",
                                   study_name=f"{method}{seed}")
                s = Search(PROGRAM, "bench.neural", None, None, method, cfg)
                s._data = ds
                bests.append(s.run().best_value)
            print(f"    {method:9s} {statistics.mean(bests):.4f}  (per seed: {', '.join(f'{b:.4f}' for b in bests)})")


EQUAL = """network Equal {
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(64, activation="relu")
    Dropout(HPO(range(0.0, 0.4, step=0.1)))
    Dense(32, activation="relu")
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=HPO(log_range(1e-3, 3e-2)))
  train { epochs: EPOCHS batch_size: 32 validation_split: 0.2 }
}
"""

HAND = """import sys, time
import numpy as np, optuna, torch
from sklearn.datasets import load_digits

optuna.logging.set_verbosity(optuna.logging.WARNING)
TRIALS, EPOCHS = int(sys.argv[1]), int(sys.argv[2])
FUSED = len(sys.argv) > 3 and sys.argv[3] == "fused"  # the optimizer kernel our generated code uses
""" + DIGITS_SPLIT + """

def objective(trial):
    p = trial.suggest_float("dropout", 0.0, 0.4, step=0.1)
    lr = trial.suggest_float("lr", 1e-3, 3e-2, log=True)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Dropout(p),
                                torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.Adam(model.parameters(), lr=lr, fused=FUSED)
    loss_fn = torch.nn.CrossEntropyLoss()
    best = float("inf")
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 32):
            idx = perm[i:i + 32]
            loss = loss_fn(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            best = min(best, loss_fn(model(xv), yv).item())
    return best


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=TRIALS)
"""


def _timed(argv: list[str], cwd: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + sys of the process and every descendant it waited
    for): the CPU figure is the one other load on the machine barely moves."""
    cpu, t = children_cpu(), time.perf_counter()
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    took, cpu = time.perf_counter() - t, children_cpu() - cpu
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{r.stderr[-2000:]}")
    return took, cpu


def equal_work(trials: int, epochs: int, repeats: int) -> None:
    """(d): whole processes, so start-up, imports, data loading and tracking all count."""
    print(f"(d) {trials} trials x {epochs} epochs on digits, every trial the same work (random search, "
          f"no pruning), whole processes, best of {repeats}; load {os.getloadavg()[0]:.1f}")
    neural = [sys.executable, "-m", "runner", "run", "equal.neural", "--hpo", "--search", "random", "--seed", "0",
              "--pruner", "none", "--dataset", "digits", "--trials", str(trials)]
    runs = {"hand": [sys.executable, "hand.py", str(trials), str(epochs)],
            "hand_fused": [sys.executable, "hand.py", str(trials), str(epochs), "fused"],
            "ours": neural + ["--base-dir", "s1"],
            "ours_notrack": neural + ["--base-dir", "s2", "--no-track"],
            "p2": neural + ["--base-dir", "s4", "--parallel", "2"]}  # "ours" is --parallel 1
    times: dict[str, list[float]] = {k: [] for k in runs}
    cpus: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeats):  # the variants alternate, so a slow spell of the VM hits them all
        with tempfile.TemporaryDirectory() as d:
            Path(d, "equal.neural").write_text(EQUAL.replace("EPOCHS", str(epochs)))
            Path(d, "hand.py").write_text(HAND)
            for key, argv in runs.items():
                wall, cpu = _timed(argv, d)
                times[key].append(wall)
                cpus[key].append(cpu)
                print(f"    ... {key} {wall:.2f} s, {cpu:.2f} CPU s (load {os.getloadavg()[0]:.1f})", flush=True)
    t = {k: min(v) for k, v in times.items()}
    c = {k: min(v) for k, v in cpus.items()}
    print(f"    hand-written Optuna + PyTorch   {t['hand']:6.2f} s  {c['hand']:6.2f} CPU s")
    print(f"    neural run --hpo (tracking on)  {t['ours']:6.2f} s  {c['ours']:6.2f} CPU s  ratio "
          f"{t['ours'] / t['hand']:.2f}x wall, {c['ours'] / c['hand']:.2f}x CPU (goal <= 1.1)")
    print(f"    neural run --hpo --no-track     {t['ours_notrack']:6.2f} s  {c['ours_notrack']:6.2f} CPU s  ratio "
          f"{t['ours_notrack'] / t['hand']:.2f}x wall, {c['ours_notrack'] / c['hand']:.2f}x CPU")
    print(f"    hand-written, fused Adam        {t['hand_fused']:6.2f} s  {c['hand_fused']:6.2f} CPU s  (the optimizer "
          f"kernel our code uses): tracked search {t['ours'] / t['hand_fused']:.2f}x wall, "
          f"{c['ours'] / c['hand_fused']:.2f}x CPU of it")
    print(f"    --parallel 1 {t['ours']:6.2f} s | --parallel 2 {t['p2']:6.2f} s | speed-up {t['ours'] / t['p2']:.2f}x "
          f"(goal >= 1.8 on 2 cores; tracking on)")


# Trials of a few seconds each (about 0.1 s an epoch on one thread of an idle core), all of
# equal work: fixed widths, so the speed-up measures the executor, not the draws.
DASK_EPOCHS = 24
DASK_PROGRAM = f"""network DaskBench {{
  input: (8, 8, 1)
  layers:
    Flatten()
    Dense(256, activation=HPO(choice("relu", "tanh")))
    Dropout(HPO(range(0.0, 0.3, step=0.1)))
    Dense(256, activation="relu")
    Output(10, activation="softmax")
  loss: "sparse_categorical_crossentropy"
  optimizer: Adam(learning_rate=HPO(log_range(1e-3, 3e-2)))
  train {{ epochs: {DASK_EPOCHS} batch_size: 32 validation_split: 0.2 }}
}}
"""


def dask_speedup(n: int) -> None:
    from distributed import Client, LocalCluster

    from runner.hpo import SearchConfig
    from runner.hpo.executors import DistributedExecutor

    print(f"(e) {n} trials of real training (digits, 256-256 MLP, {DASK_EPOCHS} epochs: a few seconds "
          "each) on a local Dask cluster of 1, then 2 worker processes of one thread (one framework "
          "thread each; program and data loaded once per worker), random sampler, study on the scheduler")
    times, per_trial = {}, {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as d, \
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                             dashboard_address="127.0.0.1:0") as cluster, \
                Client(cluster, set_as_default=False) as client:
            def search(name: str, trials: int):
                cfg = SearchConfig(n_trials=trials, seed=0, track=False, base_dir=d, pruner="none",
                                   study_name=name, dataset="digits")
                return Search(DASK_PROGRAM, "bench.neural", None, None, "random", cfg)

            search("warm", workers).run(executor=DistributedExecutor(client))  # import torch in each worker
            t = time.perf_counter()
            r = search("timed", n).run(executor=DistributedExecutor(client))
            times[workers] = time.perf_counter() - t
            assert len(r.trials) == n and all(x["state"] == "COMPLETE" for x in r.trials), r.trials
            per_trial[workers] = statistics.median(x["duration_s"] for x in r.trials)
        print(f"    {workers} worker(s): {times[workers]:6.2f} s  (median trial {per_trial[workers]:.2f} s)")
    print(f"    speed-up with 2 workers: {times[1] / times[2]:.2f}x (ideal 2.0 on 2 free cores)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    ap.add_argument("--only", choices=("a", "b", "c", "d", "e"), help="print one figure")
    ap.add_argument("--repeats", type=int, default=2, help="(d): runs of each process; the best counts")
    ap.add_argument("--epochs", type=int, default=120,
                    help="(d): epochs per trial (120: a few seconds of equal work per trial)")
    args = ap.parse_args()
    n = 30 if args.quick else args.trials
    figures = {
        "a": lambda: overhead(n),
        "b": lambda: throughput(8 if args.quick else 60),
        "c": lambda: quality(4 if args.quick else 12, 2 if args.quick else 3),
        "d": lambda: equal_work(4 if args.quick else 12, 3 if args.quick else args.epochs,
                                1 if args.quick else args.repeats),
        "e": lambda: dask_speedup(4 if args.quick else 8),
    }
    for key, figure in figures.items():
        if args.only in (None, key):
            figure()


if __name__ == "__main__":
    main()
