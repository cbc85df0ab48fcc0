"""Mirrors of an experiment in MLflow, TensorBoard and Weights & Biases.

Each backend class sends hyperparameters, metrics and artifacts to a real store of that
tool: an MLflow tracking store (SQLite by default, any tracking URI), TensorBoard event
files, a W&B run (offline by default: no account, no network). Backends import their
library only when constructed; a missing library raises IntegrationUnavailable with the
install command. A tracker runs them in a helper process (mirrors.py, mirror_worker.py),
so their cost (MLflow: ~6 ms per log_metric, ~80 us per value batched) never lands in
`log_metrics`; `create_integration` gives the same classes for direct use.
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import struct
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from compiler.store import store_dir
from runner.tracking.errors import IntegrationUnavailable
from runner.tracking.values import metric_scalar

MetricBatch = Iterable[tuple[int | None, Mapping[str, float], float]]
_INSTALL_HINT = "install it with: pip install 'neural-dsl[mirrors]'"
_MLFLOW_STATUS = {"completed": "FINISHED", "failed": "FAILED", "interrupted": "KILLED", "pruned": "KILLED"}


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested hyperparameters as dotted keys ({"opt": {"lr": 1}} -> {"opt.lr": 1})."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _scalar_or_text(value: Any) -> bool | int | float | str:
    if isinstance(value, (bool, int, float, str)):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return str(value)


class Integration:
    """One mirror backend. Subclasses implement the `_`-free methods they support."""

    backend = "base"
    OPTIONS: tuple[str, ...] = ()

    def log_hyperparameters(self, hyperparameters: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        values = {name: float(metric_scalar(name, v)) for name, v in metrics.items()}
        self.log_metrics_batch([(step, values, time.time())])

    def log_metrics_batch(self, records: MetricBatch) -> None:
        raise NotImplementedError

    def log_artifact(
        self, path: str | os.PathLike[str], name: str | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Push buffered data to disk; called after each batch from the mirror thread."""

    def state(self) -> dict[str, Any]:
        """What a later process needs to resume this run (stored in metadata.json)."""
        return {}

    def close(self) -> None:
        """Flush and release resources, leaving the run open for a later resume."""

    def finish(self, status: str = "completed") -> None:
        """Mark the run ended with `status` and release resources."""
        self.close()


# --------------------------------------------------------------------------- MLflow

_MLFLOW_BAD_CHARS = re.compile(r"[^\w\-. /]")


CONNECT_TIMEOUT_S = 5.0  # a tracking server that does not answer in this long is not there
_DEFAULT_PORTS = {"http": 80, "https": 443}


def check_reachable(uri: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Fail fast for an http(s) tracking server nobody listens on.

    MLflow's client retries a refused connection with exponential backoff (measured: 195 s
    before the first error); one TCP connect with a short timeout tells the same in seconds.
    """
    parts = urlparse(uri)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise IntegrationUnavailable(
            f"MLflow tracking server {uri} is not reachable: connecting to "
            f"{parts.hostname}:{port} failed ({reason})") from exc


def resolve_mlflow_uri(
    tracking_uri: str | None, base_dir: str | os.PathLike[str]
) -> tuple[str, str | None]:
    """(tracking URI, artifact location for new experiments) with local paths made absolute.

    No URI (and no MLFLOW_TRACKING_URI): a SQLite store inside the experiment store, rather
    than MLflow's own default of ./mlflow.db in whatever the current directory is. A plain
    directory becomes `<dir>/mlflow.db`; a `file:` URI is MLflow's (deprecated) file store,
    which MLflow 3.17 only opens with MLFLOW_ALLOW_FILE_STORE=true, so that is set for it.
    """
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        root = Path(base_dir).resolve()
        root.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{root / 'mlflow.db'}", (root / "mlflow-artifacts").as_uri()
    scheme = urlparse(uri).scheme
    if not scheme or len(scheme) == 1:  # a path (or a Windows drive letter)
        path = Path(uri).expanduser().resolve()
        if path.suffix == ".db":
            path.parent.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{path}", (path.parent / "mlflow-artifacts").as_uri()
        path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path / 'mlflow.db'}", (path / "artifacts").as_uri()
    if scheme == "file":
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        local = Path(urlparse(uri).path).resolve()
        return local.as_uri(), None
    if scheme == "sqlite" and uri.startswith("sqlite:///") and ":memory:" not in uri:
        db = Path(uri[len("sqlite:///"):]).expanduser().resolve()
        db.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{db}", (db.parent / "mlflow-artifacts").as_uri()
    return uri, None


class MLflowIntegration(Integration):
    """A run in an MLflow tracking store, written through MlflowClient (no global state)."""

    backend = "mlflow"
    OPTIONS = ("tracking_uri", "run_id", "run_name", "base_dir", "tags")

    def __init__(
        self,
        experiment_name: str,
        tracking_uri: str | None = None,
        run_id: str | None = None,
        run_name: str | None = None,
        base_dir: str | os.PathLike[str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        try:
            from mlflow.tracking import MlflowClient
        except ImportError as exc:
            raise IntegrationUnavailable(f"MLflow is not installed ({exc}); {_INSTALL_HINT}") from exc
        self.tracking_uri, artifact_location = resolve_mlflow_uri(tracking_uri, store_dir(base_dir))
        check_reachable(self.tracking_uri)
        self.client = MlflowClient(tracking_uri=self.tracking_uri)
        self._params: dict[str, str] = {}
        if run_id:
            run = self.client.get_run(run_id)
            self.run_id = run.info.run_id
            self.experiment_id = run.info.experiment_id
            self._params = dict(run.data.params)
            return
        self.experiment_id = self._experiment(experiment_name, artifact_location)
        run = self.client.create_run(
            self.experiment_id, run_name=run_name or experiment_name,
            tags={str(k): str(v) for k, v in (tags or {}).items()},
        )
        self.run_id = run.info.run_id

    def _experiment(self, name: str, artifact_location: str | None) -> str:
        from mlflow.exceptions import MlflowException

        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        try:
            return self.client.create_experiment(name, artifact_location=artifact_location)
        except MlflowException:  # another process created it first
            found = self.client.get_experiment_by_name(name)
            if found is None:
                raise
            return found.experiment_id

    def log_hyperparameters(self, hyperparameters: Mapping[str, Any]) -> None:
        from mlflow.entities import Param, RunTag

        params, tags = [], []
        for key, value in flatten(hyperparameters).items():
            key = _MLFLOW_BAD_CHARS.sub("_", key)[:250]
            text = str(_scalar_or_text(value))[:6000]
            if key not in self._params:
                params.append(Param(key, text))
            elif self._params[key] != text:  # MLflow params are immutable: record the change
                tags.append(RunTag(f"neural.param_update.{key}", text[:5000]))
            self._params[key] = text
        for i in range(0, max(len(params), len(tags)), 100):
            self.client.log_batch(self.run_id, params=params[i:i + 100], tags=tags[i:i + 100])

    def log_metrics_batch(self, records: MetricBatch) -> None:
        from mlflow.entities import Metric

        batch = []
        for step, metrics, timestamp in records:
            millis = int(timestamp * 1000)
            for key, value in metrics.items():
                name = _MLFLOW_BAD_CHARS.sub("_", key)[:250]
                batch.append(Metric(name, float(value), millis, int(step or 0)))
        for i in range(0, len(batch), 1000):
            self.client.log_batch(self.run_id, metrics=batch[i:i + 1000])

    def log_artifact(
        self, path: str | os.PathLike[str], name: str | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        path = Path(path)
        info = info or {}
        folder = info.get("folder") or name or path.name
        if info.get("version"):
            folder = f"{folder}/v{info['version']}"
        if path.is_dir():
            self.client.log_artifacts(self.run_id, str(path), artifact_path=folder)
        else:
            self.client.log_artifact(self.run_id, str(path), artifact_path=folder)

    def state(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "tracking_uri": self.tracking_uri}

    def finish(self, status: str = "completed") -> None:
        self.client.set_terminated(self.run_id, _MLFLOW_STATUS.get(status, "FINISHED"))


# ----------------------------------------------------------------------- TensorBoard


def _png_size(path: Path) -> tuple[int, int] | None:
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


class TensorBoardIntegration(Integration):
    """TensorBoard event files, written with tensorboard's own record writer and protos.

    This avoids `torch.utils.tensorboard` (a 1.5 s torch import) and tensorboard's
    EventFileWriter, which imports TensorFlow when it is installed (3.5 s).
    """

    backend = "tensorboard"
    OPTIONS = ("log_dir",)
    _counter = 0

    def __init__(self, experiment_name: str, log_dir: str | os.PathLike[str] | None = None) -> None:
        try:
            from tensorboard.compat.proto import event_pb2, summary_pb2
            from tensorboard.plugins.hparams import summary_v2 as hparams_summary
            from tensorboard.plugins.text import summary_v2 as text_summary
            from tensorboard.summary.writer.record_writer import RecordWriter
        except ImportError as exc:
            raise IntegrationUnavailable(
                f"TensorBoard is not installed ({exc}); {_INSTALL_HINT}"
            ) from exc
        self._event_pb2, self._summary_pb2 = event_pb2, summary_pb2
        self._hparams_pb, self._text_pb = hparams_summary.hparams_pb, text_summary.text_pb
        self.log_dir = Path(log_dir if log_dir is not None else Path("runs") / experiment_name)
        self.log_dir = self.log_dir.resolve()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        TensorBoardIntegration._counter += 1
        name = (
            f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
            f"{os.getpid()}.{TensorBoardIntegration._counter}"
        )
        self.path = self.log_dir / name
        self._file = open(self.path, "ab")
        self._writer = RecordWriter(self._file)
        self._write(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))
        self.flush()

    def _write(self, event: Any) -> None:
        self._writer.write(event.SerializeToString())

    def _summary_event(self, summary: Any, step: int = 0, wall_time: float | None = None) -> None:
        self._write(self._event_pb2.Event(
            wall_time=wall_time or time.time(), step=int(step), summary=summary
        ))

    def log_hyperparameters(self, hyperparameters: Mapping[str, Any]) -> None:
        flat = {k: _scalar_or_text(v) for k, v in flatten(hyperparameters).items()}
        flat = {k: (json.dumps(v) if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in flat.items()}
        self._summary_event(self._hparams_pb(flat))
        table = "| hyperparameter | value |\n|---|---|\n" + "".join(
            f"| {k} | {v} |\n" for k, v in sorted(flat.items())
        )
        self._summary_event(self._text_pb("hyperparameters", table))

    def log_metrics_batch(self, records: MetricBatch) -> None:
        Summary = self._summary_pb2.Summary
        for step, metrics, timestamp in records:
            values = [Summary.Value(tag=k, simple_value=float(v)) for k, v in metrics.items()]
            self._summary_event(Summary(value=values), int(step or 0), timestamp)

    def log_artifact(
        self, path: str | os.PathLike[str], name: str | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        path = Path(path)
        name = name or path.name
        info = dict(info or {})
        version = int(info.get("version") or 0)
        prefix = info.pop("folder", None) or "artifacts"
        size = _png_size(path) if path.is_file() and path.suffix.lower() == ".png" else None
        if size is not None:
            Summary = self._summary_pb2.Summary
            image = Summary.Image(
                width=size[0], height=size[1], colorspace=4,
                encoded_image_string=path.read_bytes(),
            )
            self._summary_event(Summary(value=[Summary.Value(tag=f"{prefix}/{name}", image=image)]),
                                version)
        lines = [f"**{name}**", f"- stored at `{path}`"]
        lines += [f"- {k}: `{v}`" for k, v in sorted(info.items()) if v not in (None, "", {})]
        self._summary_event(self._text_pb(f"{prefix}/{name}", "\n".join(lines)), version)

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def state(self) -> dict[str, Any]:
        return {"log_dir": str(self.log_dir)}

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            self._file.close()

    def finish(self, status: str = "completed") -> None:
        if not self._file.closed:
            self._summary_event(self._text_pb("status", status))
        self.close()


# ------------------------------------------------------------------------------ W&B

_WANDB_BAD_CHARS = re.compile(r"[^\w\-.]")


class WandbIntegration(Integration):
    """A Weights & Biases run; offline (local run files, no account) unless told otherwise."""

    backend = "wandb"
    OPTIONS = ("project_name", "mode", "dir", "run_id", "entity", "tags")

    def __init__(
        self,
        experiment_name: str,
        project_name: str | None = None,
        mode: str | None = None,
        dir: str | os.PathLike[str] | None = None,
        run_id: str | None = None,
        entity: str | None = None,
        tags: Iterable[str] | None = None,
    ) -> None:
        try:
            import wandb
        except ImportError as exc:
            raise IntegrationUnavailable(f"wandb is not installed ({exc}); {_INSTALL_HINT}") from exc
        self._wandb = wandb
        self.mode = mode or os.environ.get("WANDB_MODE") or "offline"
        self.dir = Path(dir if dir is not None else ".").resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.project = project_name or "neural"
        self.run = wandb.init(
            project=self.project,
            entity=entity,
            name=experiment_name,
            id=run_id,
            resume="allow" if run_id else None,
            mode=self.mode,
            dir=str(self.dir),
            tags=list(tags) if tags else None,
            reinit="create_new",
            settings=wandb.Settings(console="off", silent=True),
        )
        self.run.define_metric("*", step_metric="step")
        self._finished = False

    def log_hyperparameters(self, hyperparameters: Mapping[str, Any]) -> None:
        self.run.config.update(dict(hyperparameters), allow_val_change=True)

    def log_metrics_batch(self, records: MetricBatch) -> None:
        for step, metrics, _timestamp in records:
            self.run.log({**metrics, "step": int(step or 0)})

    def log_artifact(
        self, path: str | os.PathLike[str], name: str | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        path = Path(path)
        info = dict(info or {})
        artifact = self._wandb.Artifact(
            _WANDB_BAD_CHARS.sub("_", name or path.name)[:128],
            type=str(info.get("type") or "artifact"),
            metadata={k: v for k, v in info.items() if isinstance(v, (str, int, float, bool))},
        )
        if path.is_dir():
            artifact.add_dir(str(path))
        else:
            artifact.add_file(str(path))
        self.run.log_artifact(artifact)

    def state(self) -> dict[str, Any]:
        return {"run_id": self.run.id, "dir": str(self.dir), "mode": self.mode,
                "project_name": self.project}

    def close(self) -> None:
        self.finish("completed")

    def finish(self, status: str = "completed") -> None:
        if not self._finished:
            self._finished = True
            self.run.finish(exit_code=0 if status == "completed" else 1)


BACKENDS: dict[str, type[Integration]] = {
    "mlflow": MLflowIntegration,
    "tensorboard": TensorBoardIntegration,
    "wandb": WandbIntegration,
}


def create_integration(backend: str, experiment_name: str, **options: Any) -> Integration:
    """A mirror backend by name ("mlflow", "tensorboard", "wandb") for `experiment_name`.

    Raises ValueError for an unknown name and IntegrationUnavailable when the library is
    missing, so a caller never holds a half-working object.
    """
    key = str(backend).lower().strip()
    cls = BACKENDS.get(key)
    if cls is None:
        raise ValueError(
            f"unknown tracking backend {backend!r}; choose one of: {', '.join(sorted(BACKENDS))}"
        )
    unknown = sorted(set(options) - set(cls.OPTIONS))
    if unknown:
        raise TypeError(
            f"{key} backend does not take option(s) {', '.join(unknown)}; "
            f"it takes: {', '.join(cls.OPTIONS)}"
        )
    return cls(experiment_name, **options)
