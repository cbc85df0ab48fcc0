"""Where a search's trials run (the Neural DSL HPO guide's trial executors).

- LocalExecutor: this machine; one process, or N worker processes sharing the study.
- DistributedExecutor: a Dask cluster, by its scheduler's address or a `distributed.Client`.
  The client draws each trial's values (so a seeded search is repeatable); a worker trains it,
  reporting each epoch to the study (pruning sees every worker's trials) and home to the client,
  which keeps the experiment store. The study lives on the scheduler (optuna-integration's
  DaskStorage), or in the database whose URL the search was given.
- CloudExecutor: a Dask cluster manager (KubeCluster, SLURMCluster, EC2Cluster, ...) given as an
  object or named by a spec; started, scaled and closed around the search.

A user's executor subclasses `Executor` and implements `run()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from runner.hpo.shipping import require_portable
from runner.program import ProgramError

Reporter = Callable[[Any, Any], None] | None


class Executor:
    """Runs `n_trials` trials of a search on its study. `study_storage()` may give the study a
    storage every place the trials run can reach; `close()` frees what the executor holds."""

    name = "custom"

    def study_storage(self, search: Any) -> Any:
        """An Optuna storage for the study, or None for the search's own (--storage)."""
        return None

    def describe_storage(self, search: Any) -> str | None:
        """Where the study lives, in words, when study_storage() gave one."""
        return None

    def run(self, search: Any, study: Any, n_trials: int, reporter: Reporter) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class LocalExecutor(Executor):
    """This machine: the search's own process, or `parallel` long-lived worker processes
    (runner.hpo.workers). None: the search's own setting (--parallel, train.parallel)."""

    name = "local"

    def __init__(self, parallel: int | None = None) -> None:
        self.parallel = None if parallel is None else max(1, parallel)

    def run(self, search: Any, study: Any, n_trials: int, reporter: Reporter) -> None:
        if search.parallel > 1:
            from runner.hpo.workers import run_parallel

            require_portable(search.config.metric, "worker processes")
            run_parallel(search, study, n_trials, reporter)
        else:
            callbacks = [lambda s, t: reporter(s, t)] if reporter else []
            search.run_trials(n_trials, search.timeout, callbacks)


DASK_EXTRA = "the Dask executor needs the 'distributed' and 'optuna-integration' packages: " \
             "pip install 'neural-dsl[dask]'"
CONNECT_TIMEOUT = 5.0


def _import_distributed() -> Any:
    try:
        import distributed
        import optuna_integration  # noqa: F401
    except ImportError:
        raise ProgramError(DASK_EXTRA) from None
    return distributed


def shake_hands(address: str, timeout: float) -> str | None:
    """Connect to `address` and exchange Dask's handshake within `timeout` seconds; what went
    wrong, or None. distributed.Client bounds the connection but not the handshake read: a
    port held by another service hangs it for good (one that keeps quiet, e.g. an HTTP
    server) or fails with a MemoryError traceback (one that answers bytes)."""
    import asyncio
    import threading

    from distributed.comm import connect

    outcome: list[str | None] = []

    async def shake() -> None:
        comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout)
        await comm.close()

    def run() -> None:
        try:
            asyncio.run(shake())
            outcome.append(None)
        except TimeoutError:
            outcome.append("no Dask handshake: is something else listening there?")
        except Exception as exc:  # noqa: BLE001 - told to the user in one line
            outcome.append(f"{type(exc).__name__}: {exc}"[:300])

    thread = threading.Thread(target=run, name="dask-handshake", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    return outcome[0] if outcome else "no Dask handshake: is something else listening there?"


class DistributedExecutor(Executor):
    """A Dask cluster: `scheduler` is an address (tcp://HOST:PORT) or a `distributed.Client`.
    `parallel` caps the trials in flight (default: every worker thread of the cluster)."""

    name = "dask"

    def __init__(self, scheduler: Any, parallel: int | None = None,
                 connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.scheduler = scheduler
        self.parallel = parallel
        self.connect_timeout = connect_timeout
        self._client: Any = None
        self._own_client = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address!r})"

    @property
    def address(self) -> str:
        if isinstance(self.scheduler, str):
            return self.scheduler
        return getattr(getattr(self.scheduler, "scheduler", None), "address", None) or repr(self.scheduler)

    def _connect(self) -> Any:
        distributed = _import_distributed()
        if not isinstance(self.scheduler, str):
            return self.scheduler
        problem = shake_hands(self.scheduler, self.connect_timeout)
        if problem is None:
            try:
                client = distributed.Client(self.scheduler, timeout=self.connect_timeout,
                                            set_as_default=False)
            except Exception as exc:  # noqa: BLE001 - whatever it is, the address is the problem
                problem = f"{type(exc).__name__}: {exc}"
        if problem is not None:
            raise ProgramError(f"cannot reach the Dask scheduler at {self.scheduler} within "
                               f"{self.connect_timeout:g} s ({problem})") from None
        self._own_client = True
        return client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _dask_name(self, search: Any) -> str:
        return f"neural-{search.study_name}"

    def describe_storage(self, search: Any) -> str | None:
        url = search.config.storage
        return None if url and "://" in url else f"Dask scheduler {self.address}, storage {self._dask_name(search)}"

    def study_storage(self, search: Any) -> Any:
        url = search.config.storage
        if url and "://" in url:
            return None  # the database the user gave: every worker opens the same URL
        _import_distributed()
        from runner.hpo.dask_storage import dask_storage

        return dask_storage(self._dask_name(search), self.client)

    def run(self, search: Any, study: Any, n_trials: int, reporter: Reporter) -> None:
        import cloudpickle

        from runner.hpo.remote import RemoteSearch, SchedulerLost

        client = self.client
        require_portable(search.config.metric, f"Dask workers ({self.address})", cloudpickle.dumps)
        slots = self.parallel or sum(client.nthreads().values())
        if slots < 1:
            raise ProgramError(f"the Dask scheduler at {self.address} has no workers")
        url = search.config.storage if search.config.storage and "://" in search.config.storage else None
        mirror = None
        if url is None:  # the study is on the scheduler: keep a copy here for `neural tui`
            from runner.hpo.mirror import MIRROR_FILE, StudyMirror
            from runner.hpo.storage import study_dir

            mirror = StudyMirror(study_dir(search.config.base_dir, search.study_name) / MIRROR_FILE, study,
                                 f"Dask scheduler {self.address}")
        remote = RemoteSearch(search, study, client, slots, url or search.storage_override, mirror, self.address)
        try:
            remote.run(n_trials, reporter)
        except SchedulerLost as exc:
            raise ProgramError(f"{exc}; {self._record_after_loss(search, study, mirror, exc.failed)}") from None

    def _record_after_loss(self, search: Any, study: Any, mirror: Any, failed: list[int]) -> str:
        """hpo_results.json from what this client still reaches: the local copy of a study that
        was on the lost scheduler, or the database the study is in; where it is, in words."""
        ended = (f"trial{'s' if len(failed) > 1 else ''} {', '.join(map(str, failed))} in flight "
                 f"ended FAIL; " if failed else "")
        held = study
        if mirror is not None:
            held = mirror.local_study()
            search.storage_label = f"{mirror.path} (the local copy; the Dask scheduler {self.address} was lost)"
        if held is None:
            return f"{ended}the experiments are in {search.config.base_dir}"
        try:
            return f"{ended}the record so far: {search.finish(held).results_path}"
        except Exception as exc:  # noqa: BLE001 - the loss is the error; say where the copy is
            where = mirror.path if mirror is not None else search.config.base_dir
            return f"{ended}the record: {where} (hpo_results.json not written: {type(exc).__name__}: {exc})"

    def close(self) -> None:
        if self._client is not None and self._own_client:
            self._client.close()
        self._client = None


# Short names of the cluster managers users run: name -> (module, class, pip package).
CLUSTERS: dict[str, tuple[str, str, str]] = {
    "local": ("distributed", "LocalCluster", "distributed"),
    "kubernetes": ("dask_kubernetes.operator", "KubeCluster", "dask-kubernetes"),
    "slurm": ("dask_jobqueue", "SLURMCluster", "dask-jobqueue"),
    "pbs": ("dask_jobqueue", "PBSCluster", "dask-jobqueue"),
    "sge": ("dask_jobqueue", "SGECluster", "dask-jobqueue"),
    "lsf": ("dask_jobqueue", "LSFCluster", "dask-jobqueue"),
    "ec2": ("dask_cloudprovider.aws", "EC2Cluster", "dask-cloudprovider[aws]"),
    "ecs": ("dask_cloudprovider.aws", "ECSCluster", "dask-cloudprovider[aws]"),
    "gcp": ("dask_cloudprovider.gcp", "GCPCluster", "dask-cloudprovider[gcp]"),
    "azure": ("dask_cloudprovider.azure", "AzureVMCluster", "dask-cloudprovider[azure]"),
}


def cluster_class(spec: str) -> Any:
    """'slurm' or 'dask_jobqueue:SLURMCluster' -> the class; a clear error names what to install."""
    if spec in CLUSTERS:
        module, cls, package = CLUSTERS[spec]
    elif ":" in spec:
        module, cls = spec.split(":", 1)
        package = module.split(".")[0].replace("_", "-")
    else:
        raise ProgramError(f"unknown cluster {spec!r}: use {', '.join(CLUSTERS)} or MODULE:CLASS")
    try:
        mod = importlib.import_module(module)
    except ImportError:
        raise ProgramError(f"cluster {spec!r} needs the {package!r} package ({module} is not "
                           f"installed): pip install '{package}'") from None
    try:
        return getattr(mod, cls)
    except AttributeError:
        raise ProgramError(f"cluster {spec!r}: {module} has no {cls}") from None


class CloudExecutor(DistributedExecutor):
    """A Dask cluster manager: an object (KubeCluster(...), SLURMCluster(...)) or a spec naming
    one ('slurm', 'kubernetes', 'ec2', or 'module:Class') with its keyword arguments. The
    executor scales it to `n_workers` and closes what it started when the search ends."""

    name = "cloud"

    def __init__(self, cluster: Any, n_workers: int = 2, parallel: int | None = None,
                 connect_timeout: float = 60.0, **cluster_kwargs: Any) -> None:
        super().__init__(None, parallel, connect_timeout)
        self.cluster = cluster
        self.n_workers = n_workers
        self.cluster_kwargs = cluster_kwargs
        self._own_cluster = isinstance(cluster, str)
        self._started: Any = None

    @property
    def address(self) -> str:
        c = self._started if self._started is not None else self.cluster
        return getattr(c, "scheduler_address", None) or repr(c)

    def _connect(self) -> Any:
        distributed = _import_distributed()
        cluster = self.cluster
        if isinstance(cluster, str):
            cls = cluster_class(cluster)
            try:
                cluster = cls(**self.cluster_kwargs)
            except Exception as exc:
                raise ProgramError(f"cannot start the {cls.__name__}: {type(exc).__name__}: {exc}") from None
        self._started = cluster
        cluster.scale(self.n_workers)
        client = distributed.Client(cluster, set_as_default=False)
        self._own_client = True
        try:
            client.wait_for_workers(1, timeout=self.connect_timeout)
        except TimeoutError:
            self.close()
            raise ProgramError(f"no worker of the {type(cluster).__name__} started within "
                               f"{self.connect_timeout:g} s") from None
        return client

    def close(self) -> None:
        super().close()
        if self._started is not None and self._own_cluster:
            self._started.close()
        self._started = None


def make_executor(executor: Any = None, *, parallel: int | None = None, scheduler: str | None = None) -> Executor:
    """An Executor from what a user gave: None or 'local', 'dask' (with `scheduler`), a scheduler
    address, a `distributed.Client`, a cluster manager object, or an Executor."""
    if isinstance(executor, Executor):
        return executor
    if executor is None or executor == "local":
        if scheduler:
            raise ProgramError("--scheduler needs --executor dask")
        return LocalExecutor(parallel)
    slots = parallel if parallel and parallel > 1 else None
    if executor == "dask":
        if not scheduler:
            raise ProgramError("--executor dask needs --scheduler tcp://HOST:PORT (the Dask scheduler)")
        return DistributedExecutor(scheduler, slots)
    if isinstance(executor, str) and "://" in executor:
        return DistributedExecutor(executor, slots)
    distributed = _import_distributed()
    if isinstance(executor, distributed.Client):
        return DistributedExecutor(executor, slots)
    if isinstance(executor, distributed.deploy.Cluster) or (
            hasattr(executor, "scale") and hasattr(executor, "scheduler_address")):
        return CloudExecutor(executor, parallel=slots)
    raise ProgramError(f"unknown executor {executor!r}: use 'local', 'dask' with a scheduler address, "
                       "a distributed.Client, a Dask cluster, or an Executor")


__all__ = ["CLUSTERS", "CloudExecutor", "DistributedExecutor", "Executor", "LocalExecutor", "cluster_class",
           "make_executor"]
