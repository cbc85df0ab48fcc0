"""Parallel search on one machine: N long-lived worker processes on one study.

Workers are started as `python -m runner.hpo.worker` (a fixed entry module), never by
re-importing the user's script, so `HPOptimizer(parallel_trials=4)` works in a plain
top-level script. Each worker imports the framework and loads the data once and then runs
trial after trial; before each trial it asks the parent for a ticket, so exactly `n` trials
run in all and a fast worker takes more of them. Each worker gets `cores // N` framework
threads (PyTorch intra-op; TensorFlow intra/inter-op) so N workers do not fight over cores.

Tracking is shared the same way as in one process: the parent captures the environment once
(while the workers start up) and sends it to each worker, and the parent's one plot helper
draws every worker's plots (a worker writes `plot render|final DIR` on its channel).

The data is loaded once too, by the parent while the workers import their framework, and
sent with the environment: a worker then never loads it again (for a data file, or a set
without its own reader, each worker importing the loader's libraries on its first trial's
path). A dataset over SHIP_LIMIT_BYTES is loaded by each worker. The parent also imports what
the importances at the end need (scikit-learn) while the workers start, not after the last trial.

Workers die with their parent (PR_SET_PDEATHSIG on Linux, and a parent check), and on
SIGTERM/SIGINT they end their trial FAIL and its experiment `interrupted`.
"""

from __future__ import annotations

import importlib
import os
import pickle
import selectors
import signal
import subprocess
import sys
import threading
import time
from typing import Any

STOP_WAIT_S = 15.0  # after SIGTERM, how long a worker may take to end its trial
SHIP_LIMIT_BYTES = 256 * 2**20  # bigger datasets are loaded by each worker, not piped to it
POLL_S = 0.5
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def worker_threads(workers: int) -> int:
    """Framework threads per worker: the cores shared out, at least one."""
    return max(1, cores() // max(1, workers))


def describe_workers(workers: int) -> str:
    t = worker_threads(workers)
    return (f"{workers} worker processes, {t} framework thread{'s' if t != 1 else ''} each "
            f"({cores()} core{'s' if cores() != 1 else ''})")


def dump_spec(spec: tuple) -> bytes:
    """The search's spec for a worker. Classes defined in the user's script (__main__) are
    pickled by value with cloudpickle when it is installed: the worker never imports the script."""
    in_main = [obj for obj in (spec[0], type(spec[5])) if getattr(obj, "__module__", "") == "__main__"]
    if not in_main:
        return pickle.dumps(spec)
    try:
        import cloudpickle
    except ImportError:
        from runner.program import ProgramError

        raise ProgramError(f"{in_main[0].__name__} is defined in the script being run, so parallel "
                           "workers cannot load it: move it into a module (or install cloudpickle)") from None
    return cloudpickle.dumps(spec)


class Worker:
    def __init__(self, index: int, spec: bytes, threads: int, seed: int | None) -> None:
        env = dict(os.environ)
        for key in THREAD_ENV:
            env[key] = str(threads)
        self.proc = subprocess.Popen([sys.executable, "-m", "runner.hpo.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)
        header = {"sys_path": list(sys.path), "index": index, "threads": threads, "seed": seed,
                  "parent": os.getpid()}
        self.proc.stdin.write(pickle.dumps(header) + spec)
        self.proc.stdin.flush()
        self.pid = self.proc.pid
        self.buffer = b""

    def send(self, data: bytes) -> None:
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died: its exit code says so

    def answer(self, go: bool) -> None:
        try:
            self.proc.stdin.write(b"go\n" if go else b"stop\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass


def run_parallel(search: Any, study: Any, n: int, reporter) -> None:
    from runner.hpo.liveness import fail_stale
    from runner.program import ProgramError
    from runner.tracking.session import TrackingSession, forward_plot_request

    k = min(search.parallel, max(n, 1))
    threads = worker_threads(k)
    spec = dump_spec(search.spec())
    seen = {t.number for t in study.get_trials(deepcopy=False)}
    deadline = time.monotonic() + search.timeout if search.timeout else None
    seed = search.config.seed
    workers = [Worker(i, spec, threads, None if seed is None else seed + i) for i in range(k)]
    # what the results need at the end (optuna.importance: scikit-learn, ~1 s), imported while
    # this process mostly waits for the workers to start, not after the last trial
    threading.Thread(target=importlib.import_module, args=("optuna.importance",), daemon=True,
                     name="neural-warm-importance").start()
    session = None
    sel = selectors.DefaultSelector()
    issued = 0
    try:
        # captured and loaded once for the whole search, here, while the workers import their framework
        session = TrackingSession() if search.config.track else None
        shared = pickle.dumps((session.environment if session is not None else None, shared_data(search)))
        for w in workers:
            w.send(shared)
        plots = session.plots if session is not None else None
        for w in workers:
            sel.register(w.proc.stdout, selectors.EVENT_READ, w)
        open_ = len(workers)
        while open_:
            for key, _ in sel.select(timeout=POLL_S):
                w: Worker = key.data
                chunk = os.read(key.fileobj.fileno(), 4096)
                if not chunk:
                    sel.unregister(key.fileobj)
                    open_ -= 1
                    continue
                w.buffer += chunk
                while b"\n" in w.buffer:
                    line, w.buffer = w.buffer.split(b"\n", 1)
                    if line.strip() == b"ready":
                        go = issued < n and (deadline is None or time.monotonic() < deadline)
                        issued += go
                        w.answer(go)
                    else:
                        forward_plot_request(line.decode("utf-8", "replace"), plots)
            seen = _report_new(study, seen, reporter)
        for w in workers:
            w.proc.wait()
    except KeyboardInterrupt:
        _stop(workers)
        fail_stale(study, search.heartbeats(), only_pids={w.pid for w in workers})
        _report_new(study, seen, reporter)
        raise
    finally:
        sel.close()
        for w in workers:
            if w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait()
        if session is not None:  # its helper finishes the plots asked for, then exits
            session.close()
    _report_new(study, seen, reporter)
    failed = [w.proc.returncode for w in workers if w.proc.returncode]
    if failed:
        fail_stale(study, search.heartbeats(), only_pids={w.pid for w in workers})
        raise ProgramError(f"{len(failed)} worker process(es) failed (exit codes {failed}); "
                           "their errors are printed above")


def shared_data(search: Any) -> Any:
    """The search's data for its workers, or None when it is too big to pipe (each loads it)."""
    data = search.data()
    return data if data.x.nbytes + data.y.nbytes <= SHIP_LIMIT_BYTES else None


def _stop(workers: list[Worker]) -> None:
    """SIGTERM every worker (each ends its trial FAIL and its experiment interrupted), then
    SIGKILL whatever is still alive after STOP_WAIT_S."""
    for w in workers:
        if w.proc.poll() is None:
            try:
                w.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    end = time.monotonic() + STOP_WAIT_S
    for w in workers:
        try:
            w.proc.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            w.proc.kill()
            w.proc.wait()
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            w.proc.kill()
            w.proc.wait()


def _report_new(study: Any, seen: set[int], reporter) -> set[int]:
    from optuna.trial import TrialState

    if reporter is None:
        return seen
    for t in study.get_trials(deepcopy=False):
        if t.number not in seen and t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
            seen.add(t.number)
            reporter(study, t)
    return seen
