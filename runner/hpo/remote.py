"""A search's trials on Dask workers, and each trial's record brought home.

The client asks the study for a trial, draws its values and submits it; a worker trains it
(reporting each epoch to the study, so the pruner sees every worker's trials) and sends each
epoch home as a Dask event; the client writes the experiment store, tells the study the outcome
and reports it. A trial whose worker died is FAILED, not rerun: Dask reschedules the task of a
dead worker, and the rerun sees the trial already claimed. A lost scheduler (its process gone,
or the client dropped) ends the search with one error naming it: the trials in flight end FAIL
in the records here (the experiments, the local copy of the study), nothing more is asked of a
scheduler that cannot answer, and the results are written from the copy (runner.hpo.executors).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import socket
import threading
import time
import uuid
from types import SimpleNamespace
from typing import Any

from runner.program import ProgramError
from runner.training import TrainingCallback

POLL = 0.25  # seconds between looks at finished trials and arrived events
CANCEL_GRACE = 10.0  # seconds running trials get to stop at their next epoch after Ctrl-C
NO_WORKERS_LIMIT = 60.0  # seconds without any worker before the search gives up
STATES = {"COMPLETE": "completed", "PRUNED": "pruned", "FAIL": "failed"}


class Cancelled(Exception):  # noqa: N818 - a request from the client
    """The client asked every trial to stop (Ctrl-C)."""


class SchedulerLost(ProgramError):
    """The client lost its Dask scheduler: Dask cancels every future of a client whose
    connection closed, so the trials in flight cannot come home; `failed` are their numbers."""

    def __init__(self, message: str, failed: list[int] | None = None) -> None:
        super().__init__(message)
        self.failed = failed or []


class _GaveUp(logging.Filter):
    """distributed's "Failed to reconnect to scheduler ..., closing client": the search says it
    in its own error (naming the scheduler and the trials), so the line is not said twice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to reconnect to scheduler")


class RemoteSearch:
    """Runs `n` trials of `search` on a Dask cluster with at most `slots` in flight."""

    def __init__(self, search: Any, study: Any, client: Any, slots: int, storage: Any,
                 mirror: Any = None, address: str | None = None) -> None:
        self.search = search
        self.address = address or getattr(getattr(client, "scheduler", None), "address", "?")
        self.study = study
        self.client = client
        self.slots = slots
        self.storage = storage  # what a worker opens: a DaskStorage (pickled by name) or a URL
        self.token = uuid.uuid4().hex[:12]
        self.topic = f"neural-hpo-{self.token}"
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.home = TrialRecords(search)
        self.trials: dict[int, Any] = {}
        self.reporter: Any = None
        self.mirror = mirror  # runner.hpo.mirror.StudyMirror: the study copied here as it goes
        cfg = dataclasses.replace(search.config, track=False)  # the client keeps the records
        self.spec = (type(search), search.text, str(search.path), search.network.name,
                     search.search_space, search.strategy, cfg)

    # ------------------------------------------------------------------ client side
    def run(self, n: int, reporter: Any) -> None:
        quiet = _GaveUp()
        logging.getLogger("distributed.client").addFilter(quiet)
        try:
            with self.client.as_current():  # distributed.wait and Event look for the current client
                self._run(n, reporter)
        finally:
            logging.getLogger("distributed.client").removeFilter(quiet)

    def _run(self, n: int, reporter: Any) -> None:
        from distributed import Event

        self.reporter = reporter
        timeout = self.search.timeout
        self.client.subscribe_topic(self.topic, self.events.put)
        cancel = Event(f"{self.topic}-cancel", client=self.client)
        inflight: dict[Any, int] = {}
        began = time.monotonic()
        submitted = 0
        alone_since: float | None = None
        try:
            while True:
                late = timeout is not None and time.monotonic() - began > timeout
                while len(inflight) < self.slots and submitted < n and not late:
                    fut, number = self._submit()
                    inflight[fut] = number
                    submitted += 1
                if not inflight:
                    break
                done = [f for f in inflight if f.done()]
                if self.client.status != "running" and not self._reconnected():
                    raise self._abandon(inflight)  # its futures ended cancelled, not run
                if not done:
                    time.sleep(POLL)
                self._drain()
                for fut in done:
                    self._finish(inflight.pop(fut), _outcome(fut))
                if self.client.nthreads():
                    alone_since = None
                elif alone_since is None:
                    alone_since = time.monotonic()
                elif time.monotonic() - alone_since > NO_WORKERS_LIMIT:
                    raise ProgramError(f"no Dask worker left for {NO_WORKERS_LIMIT:g} s; "
                                       f"{len(inflight)} trial(s) could not finish")
        except SchedulerLost:
            raise
        except BaseException as exc:
            if not self._reconnected():
                raise self._abandon(inflight) from None
            if inflight:
                why = "cancelled by the client (Ctrl-C)" if isinstance(exc, KeyboardInterrupt) else \
                    f"the search stopped: {exc}"
                try:
                    self._stop(cancel, inflight, why)
                except Exception:
                    if self._reconnected():
                        raise
                    raise self._abandon(inflight) from None
            raise
        finally:
            if self.client.status == "running":
                with contextlib.suppress(Exception):  # the connection may close meanwhile
                    self.client.unsubscribe_topic(self.topic)
            self._drain()
            self.home.close_all()
            if self.mirror is not None:
                self.mirror.abandon()

    def _submit(self) -> tuple[Any, int]:
        from runner.hpo.remote import run_trial

        trial = self.study.ask()
        values = self.search.strategy.draw(trial, self.search.dims)
        trial.set_user_attr("values", values)
        self.trials[trial.number] = trial
        if self.mirror is not None:
            self.mirror.started(trial)
        fut = self.client.submit(run_trial, self.spec, self.storage, self.search.study_name, trial._trial_id,
                                 trial.number, values, self.topic, key=f"neural-trial-{self.token}-{trial.number}",
                                 pure=False)
        return fut, trial.number

    def _stop(self, cancel: Any, inflight: dict[Any, int], why: str) -> None:
        """Ask running trials to stop at their next epoch, wait a little, mark them FAILED."""
        cancel.set()
        deadline = time.monotonic() + CANCEL_GRACE
        while time.monotonic() < deadline and not all(f.done() for f in inflight):
            time.sleep(POLL)
        self._drain()
        for fut, number in inflight.items():
            out = _outcome(fut) if fut.done() else {"state": "FAIL"}
            if out["state"] == "FAIL" or not fut.done():
                out = {**out, "state": "FAIL", "error": why}
            self._finish(number, out)
        self.client.cancel(list(inflight))

    def _reconnected(self, grace: float = 2.0) -> bool:
        """Whether the client is (again) connected to the scheduler; while it tries to reconnect
        (for its connect timeout) wait and see."""
        limit = time.monotonic() + (getattr(self.client, "_timeout", None) or 10.0) + grace
        while self.client.status in ("connecting", "newly-created") and time.monotonic() < limit:
            time.sleep(0.1)
        return self.client.status == "running"

    def _abandon(self, inflight: dict[Any, int]) -> SchedulerLost:
        """The scheduler is out of reach: the trials in flight end FAIL in the local records (the
        experiments, the mirror, the reporter), nothing is asked of the scheduler; the error."""
        short = f"lost the Dask scheduler at {self.address}"
        self._drain()  # the epochs that did arrive are part of the record
        failed = sorted(n for n in inflight.values() if n in self.trials)
        for number in failed:
            if self.mirror is None:  # the study is in a database the client still reaches
                with contextlib.suppress(Exception):
                    self._finish(number, {"state": "FAIL", "error": short})
                    continue
            self.trials.pop(number, None)
            self.home.end(number, "FAIL", [], None)
            if self.mirror is not None:
                self.mirror.ended(number, "FAIL", None, {"error": short})
        self._report_from_copy(failed)
        timeout = getattr(self.client, "_timeout", None)
        came_back = f" and did not come back within {timeout:g} s" if timeout else ""
        return SchedulerLost(f"{short}: the connection closed{came_back} ({_probe(self.address)})", failed)

    def _report_from_copy(self, numbers: list[int]) -> None:
        """Show the trials ended here as the local copy holds them (the study is out of reach)."""
        if self.reporter is None or self.mirror is None or not numbers:
            return
        with contextlib.suppress(Exception):  # the summary still says it all
            copy = self.mirror.local_study()
            held = {t.number: t for t in copy.get_trials(deepcopy=False)} if copy is not None else {}
            for number in numbers:
                if number in held:
                    self.reporter(copy, held[number])

    def _drain(self) -> None:
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return
            msg = event[1] if isinstance(event, tuple) and len(event) == 2 else event
            if isinstance(msg, dict):
                self.home.receive(msg)
                if self.mirror is not None:
                    self._mirror(msg)
                started = getattr(self.reporter, "trial_started", None)
                if msg.get("kind") == "begin" and started is not None:
                    started(msg["trial"], msg.get("values", {}), msg.get("worker"))

    def _mirror(self, msg: dict[str, Any]) -> None:
        if msg.get("kind") == "begin":
            self.mirror.begin(msg.get("trial"), msg.get("worker"))
        elif msg.get("kind") == "epoch":
            self.mirror.epoch(msg.get("trial"), msg.get("epoch"), msg.get("metrics") or {})

    def _finish(self, number: int, out: dict[str, Any]) -> None:
        from optuna.trial import TrialState

        trial = self.trials.pop(number)
        state = out["state"]
        exp_dir = self.home.end(number, state, out.get("epochs", []), out.get("worker"))
        try:
            if exp_dir:
                trial.set_user_attr("experiment_dir", exp_dir)
            if out.get("error"):
                trial.set_user_attr("error", out["error"])
            if out.get("worker") and state == "FAIL":
                trial.set_user_attr("worker", out["worker"])
            if state == "COMPLETE":
                self.study.tell(trial, out["value"], skip_if_finished=True)
            else:
                self.study.tell(trial, state=TrialState[state], skip_if_finished=True)
            frozen = self.study._storage.get_trial(trial._trial_id)
        except Exception:
            if self.mirror is not None and not self._reconnected():  # the study is out of reach:
                self.mirror.ended(number, state, out.get("value"),  # the copy keeps the outcome
                                  {"experiment_dir": exp_dir, "error": out.get("error"),
                                   "worker": out.get("worker"), "epochs": out.get("epochs")})
                self._report_from_copy([number])
            raise
        if self.mirror is not None:
            self.mirror.finished(frozen)
        if self.reporter is not None:
            self.reporter(self.study, frozen)


def _probe(address: str, timeout: float = 3.0) -> str:
    """Whether anything still listens at the scheduler's address, in words."""
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return "it still accepts connections: it dropped this client, its log may say why"
    except (OSError, ValueError) as exc:
        return f"nothing answers there now: {type(exc).__name__}: {exc}"


def _outcome(fut: Any) -> dict[str, Any]:
    try:
        return fut.result()
    except BaseException as exc:  # KilledWorker (every worker that tried it died), cancelled, ...
        return {"state": "FAIL", "error": f"{type(exc).__name__}: {exc}"}


class TrialRecords:
    """The local experiment store's record of each remote trial, written as its events arrive."""

    def __init__(self, search: Any) -> None:
        self.search = search
        self.open: dict[int, tuple[Any, Any, set[int]]] = {}
        self._session: Any = None

    @property
    def session(self) -> Any:
        """One plot helper for all the trials' plots, drawn after each trial ends: a standalone
        tracker draws its final plots in finish(), which here would stall the client loop (and
        every remote trial's record) for seconds per trial. No environment: the client's is not
        the worker's."""
        if self._session is None:
            from runner.tracking.session import TrackingSession

            self._session = TrackingSession(capture=False, live_plots=False)
        return self._session

    def receive(self, msg: dict[str, Any]) -> None:
        number = msg.get("trial")
        if msg.get("kind") == "begin":
            self._begin(number, msg)
        elif msg.get("kind") == "epoch" and number in self.open:
            _, cb, seen = self.open[number]
            if msg["epoch"] not in seen:
                seen.add(msg["epoch"])
                cb.on_epoch_end(msg["epoch"], msg["metrics"])

    def _begin(self, number: int, msg: dict[str, Any]) -> None:
        if not self.search.config.track or number in self.open:
            return
        from runner.tracking import ExperimentTracker
        from runner.tracking_callback import TrackingCallback
        from runner.training.callbacks import TrainInfo

        s = self.search
        values = msg.get("values", {})
        try:
            all_values = s.trial_program(values).all_values
        except ProgramError:
            all_values = dict(values)
        tags = {**s.trial_tags(SimpleNamespace(number=number)), "worker": msg.get("worker")}
        tracker = ExperimentTracker(s.network.name, base_dir=s.config.base_dir, capture_environment=False,
                                    tags=tags, session=self.session,
                                    notes=f"neural run {s.path} (trial {number} on {msg.get('worker')})")
        cb = TrackingCallback(tracker, {**all_values, "program": str(s.path), "worker": msg.get("worker")})
        info = msg.get("info") or {}
        fields = {f.name for f in dataclasses.fields(TrainInfo)}
        cb.on_train_begin(TrainInfo(**{k: v for k, v in info.items() if k in fields}))
        self.open[number] = (tracker, cb, set())

    def end(self, number: int, state: str, epochs: list[dict], worker: str | None) -> str | None:
        """Log any epoch whose event has not arrived yet, finish the experiment; its folder."""
        if number not in self.open:
            return None
        tracker, cb, seen = self.open.pop(number)
        for i, record in enumerate(epochs, start=1):
            if i not in seen:
                cb.on_epoch_end(i, record)
        tracker.finish(STATES.get(state, "failed"))
        return str(tracker.experiment_dir)

    def close_all(self) -> None:
        for number in list(self.open):
            self.end(number, "FAIL", [], None)
        if self._session is not None:  # its helper finishes the plots asked for, then exits
            self._session.close()
            self._session = None


# ---------------------------------------------------------------------- worker side
_SEARCHES: dict[str, tuple[Any, Any]] = {}
_LOCK = threading.Lock()
_KEEP = 4  # searches a worker process keeps ready (data loaded), most recent first


def _worker_search(spec: tuple, storage: Any, study_name: str, key: str) -> tuple[Any, Any]:
    """This worker's Search and study for one search: built once, reused by every trial."""
    with _LOCK:
        if key in _SEARCHES:
            return _SEARCHES[key]
        import optuna

        from runner.hpo.pruning import make_pruner

        cls, text, path, network, search_space, strategy, config = spec
        search = cls(text, path, network, search_space, strategy, config)
        search.worker_threads = 1
        if search.backend in ("pytorch", "torch"):
            import torch

            torch.set_num_threads(1)  # one framework thread per worker slot
        search.data()
        # The client created the study and draws the values: here only the pruner is needed.
        study = optuna.load_study(study_name=study_name, storage=storage,
                                  sampler=optuna.samplers.RandomSampler(),
                                  pruner=make_pruner(search.pruner_name, search.epochs))
        search._study = study
        _SEARCHES[key] = (search, study)
        while len(_SEARCHES) > _KEEP:
            _SEARCHES.pop(next(iter(_SEARCHES)))
        return search, study


class Relay(TrainingCallback):
    """Sends each epoch home and stops the trial when the client cancels the search."""

    def __init__(self, worker: Any, topic: str, number: int, values: dict, cancel: Any) -> None:
        self.worker = worker
        self.topic = topic
        self.number = number
        self.values = values
        self.cancel = cancel

    def _send(self, msg: dict[str, Any]) -> None:
        self.worker.log_event(self.topic, {"trial": self.number, "worker": self.worker.address, **msg})

    def on_train_begin(self, info: Any) -> None:
        self._send({"kind": "begin", "values": self.values, "info": dataclasses.asdict(info)})

    def on_epoch_end(self, epoch: int, metrics: Any) -> None:
        self._send({"kind": "epoch", "epoch": epoch, "metrics": {k: float(v) for k, v in metrics.items()}})
        if self.cancel.is_set():
            raise Cancelled("cancelled by the client (Ctrl-C)")


def run_trial(spec: tuple, storage: Any, study_name: str, trial_id: int, number: int,
              values: dict[str, Any], topic: str) -> dict[str, Any]:
    """One trial on a Dask worker; returns its outcome (never raises for a trial's own failure)."""
    import optuna
    from distributed import Event, get_worker

    from runner.hpo.liveness import WORKER_ATTR, this_worker

    worker = get_worker()
    here = {**this_worker(), "threads": 1, "address": worker.address}
    if isinstance(storage, str):
        from runner.hpo.storage import open_storage

        storage = open_storage(storage, spec[-1].base_dir, study_name)
    search, study = _worker_search(spec, storage, study_name, topic)
    claimed = study._storage.get_trial(trial_id).user_attrs.get(WORKER_ATTR)
    if claimed:  # Dask reran the task of a worker that died: the trial failed there
        where = claimed.get("address") if isinstance(claimed, dict) else claimed
        return {"state": "FAIL", "worker": claimed, "error": f"the Dask worker running it ({where}) died"}
    trial = optuna.trial.Trial(study, trial_id)
    trial.set_user_attr(WORKER_ATTR, here)
    relay = Relay(worker, topic, number, values, Event(f"{topic}-cancel"))
    try:
        value = search.evaluate(trial, values, callbacks=[relay], track=False)
    except optuna.TrialPruned as exc:
        return {"state": "PRUNED", "worker": here, "error": None, "message": str(exc),
                "epochs": trial_epochs(study, trial_id)}
    except Cancelled as exc:
        return {"state": "FAIL", "worker": here, "error": str(exc)}
    except ProgramError as exc:
        return {"state": "FAIL", "worker": here, "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - the trial fails; the search goes on
        return {"state": "FAIL", "worker": here, "error": f"{type(exc).__name__}: {exc}"}
    return {"state": "COMPLETE", "value": value, "worker": here, "epochs": trial_epochs(study, trial_id)}


def trial_epochs(study: Any, trial_id: int) -> list[dict]:
    return list(study._storage.get_trial(trial_id).user_attrs.get("epochs", []))
