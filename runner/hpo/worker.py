"""Entry point of one parallel search worker: `python -m runner.hpo.worker`.

Reads a header and the search's spec from stdin (see runner.hpo.workers), imports the
framework, then reads the search's tracking environment and data (captured and loaded once,
by the parent) and runs one trial per ticket: it writes `ready` on its protocol channel and
the parent answers `go` or `stop`. Plot requests go to the parent's helper as `plot ...` lines on the same
channel. Anything the trials print goes to stderr; stdout is the protocol channel only.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """SIGTERM when the parent dies (Linux), and exit if it already has."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _interrupted_experiments(study) -> None:
    """This worker's failed trials whose experiment still says running become interrupted:
    a SIGTERM between the experiment's creation and its training loop (where the record is
    finished `interrupted`) let Optuna end the trial FAIL while the record stayed running."""
    import socket

    from optuna.trial import TrialState

    from runner.hpo.liveness import WORKER_ATTR, mark_interrupted

    me = {"host": socket.gethostname(), "pid": os.getpid()}
    for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,)):
        w = t.user_attrs.get(WORKER_ATTR) or {}
        if (w.get("host"), w.get("pid")) == (me["host"], me["pid"]):
            mark_interrupted(t.user_attrs.get("experiment_dir"))


def _terminate(signum, frame):
    raise KeyboardInterrupt


def _set_threads(threads: int, backend: str) -> None:
    if backend == "pytorch":
        import torch

        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:
            pass  # already set by an earlier parallel region
    else:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # prints of the trials go to stderr, never into the protocol
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer
    header = pickle.load(stdin)
    _die_with_parent(header["parent"])
    sys.path[:] = header["sys_path"]
    from runner.hpo.engine import Search
    from runner.hpo.liveness import fail_stale

    search = Search.from_spec(pickle.load(stdin), header["seed"])
    _set_threads(header["threads"], search.backend)
    search.worker_threads = header["threads"]
    # the parent captured the environment and loaded the data while this process started
    environment, data = pickle.load(stdin)
    if data is not None:
        search._data = data
    if search.config.track:
        from runner.tracking.session import ForwardedPlots, TrackingSession

        search._session = TrackingSession(environment, capture=environment is None, live_plots=False,
                                          plots=ForwardedPlots(proto))

    def ticket() -> bool:
        proto.write("ready\n")
        answer = stdin.readline()
        return answer.strip() == b"go"

    try:
        search.run_trials(None, tickets=ticket)
    except KeyboardInterrupt:
        study = search.study()
        fail_stale(study, search.heartbeats(), only_pids={os.getpid()})
        _interrupted_experiments(study)
        return 130
    return 0


if __name__ == "__main__":
    # The trials are told to the study and their records finished: skip the teardown of
    # torch & co. (seconds on a loaded machine, which the parent waited for at the end).
    from runner.cli.exit import exit_process

    exit_process(main())
