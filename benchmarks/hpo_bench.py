"""HPO figures.

(a) per-trial overhead of our search against raw Optuna on the same trivial objective: both
    use the same storage kind and sampler; ours also draws values from the program's space,
    renders and re-analyses the trial's program (what every real trial does before training).
(b) throughput with 1 and 2 worker processes on an objective that sleeps 50 ms.
(c) best validation loss after N trials of random vs TPE vs bayesian search on a fixed small
    network (digits), averaged over seeds.

    python benchmarks/hpo_bench.py [--trials 200] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    args = ap.parse_args()
    n = 30 if args.quick else args.trials
    overhead(n)
    throughput(8 if args.quick else 60)
    quality(4 if args.quick else 12, 2 if args.quick else 3)


if __name__ == "__main__":
    main()
