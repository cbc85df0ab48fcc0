"""The process that feeds mirror backends: `python -m runner.tracking.mirror_worker DIR`.

Metrics never travel through a pipe: the worker tails metrics.jsonl itself, from the byte
offset the previous worker reached (`mirror_offset` in metadata.json), and sends what it
finds to every backend in batches. So `log_metrics` does no mirror work at all, and when
the logging process is killed the worker still forwards everything the store holds
before it exits (it sees stdin close). Hyperparameters and artifacts, which are rare, come
as JSON lines on stdin; events go back as JSON lines on stdout:

    in:  {"op": "start", "experiment_name": .., "offset": .., "mirrors": [{"backend", "options"}]}
         {"op": "hparams", "data": ..} {"op": "artifact", "path", "name", "info"}
         {"op": "sync", "id": n} {"op": "close", "status": "completed" | null}
    out: {"event": "ready", "mirrors": [{"backend", "state"} | {"backend", "error", "kind"}]}
         {"event": "failed", "backend", "error"} {"event": "synced", "id"} {"event": "closed"}
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

POLL_S = 0.25
MIRROR_HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
                        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                        "MLFLOW_HTTP_REQUEST_TIMEOUT": "15"}


_events: Any = sys.stdout  # replaced by claim_stdout() in main()


def _emit(event: dict[str, Any]) -> None:
    try:
        _events.write(json.dumps(event) + "\n")
        _events.flush()
    except (OSError, ValueError):  # the parent is gone; keep draining the store anyway
        pass


def _read_commands(commands: queue.Queue[dict[str, Any]]) -> None:
    for line in sys.stdin:
        try:
            commands.put(json.loads(line))
        except ValueError:
            continue
    commands.put({"op": "eof"})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m runner.tracking.mirror_worker EXPERIMENT_DIR", file=sys.stderr)
        return 2
    global _events
    import os

    from runner.tracking.workers import claim_stdout

    # A server that accepts but stalls: a few short tries, not MLflow's minutes of backoff.
    for name, value in MIRROR_HTTP_DEFAULTS.items():
        os.environ.setdefault(name, value)

    _events = claim_stdout()
    warnings.simplefilter("ignore")  # torn lines etc. are reported by the logging process
    from runner.tracking.errors import IntegrationUnavailable
    from runner.tracking.integrations import Integration, create_integration
    from runner.tracking.store import JsonlReader, update_json
    from runner.tracking.tracker import METADATA_FILE, METRICS_FILE
    from runner.tracking.values import RESERVED_METRIC_KEYS, decode_metric, from_json

    folder = Path(args[0])
    commands: queue.Queue[dict[str, Any]] = queue.Queue()
    threading.Thread(target=_read_commands, args=(commands,), daemon=True).start()
    start = commands.get()
    if start.get("op") != "start":
        return 2
    live: dict[str, Integration] = {}
    report = []
    for spec in start.get("mirrors", []):
        backend = spec["backend"]
        try:
            live[backend] = create_integration(backend, start["experiment_name"],
                                               **spec.get("options", {}))
            report.append({"backend": backend, "state": live[backend].state()})
        except Exception as exc:
            kind = "unavailable" if isinstance(exc, IntegrationUnavailable) else "failed"
            report.append({"backend": backend, "kind": kind,
                           "error": f"{type(exc).__name__}: {exc}"})
    _emit({"event": "ready", "mirrors": report})

    def call(method: str, *call_args: Any) -> None:
        """integration.method(*call_args) on every live backend; a failure drops it."""
        for backend, integration in list(live.items()):
            try:
                getattr(integration, method)(*call_args)
            except Exception as exc:
                del live[backend]
                _emit({"event": "failed", "backend": backend,
                       "error": f"{type(exc).__name__}: {exc}"})

    reader = JsonlReader(folder / METRICS_FILE)
    reader.offset = int(start.get("offset") or 0)

    def pump() -> None:
        records = reader.read_new()
        if not records or not live:
            return
        batch = []
        for record in records:
            metrics = {k: decode_metric(v) for k, v in record.items()
                       if k not in RESERVED_METRIC_KEYS and isinstance(decode_metric(v), (int, float))}
            if metrics:
                batch.append((record.get("step"), metrics, record.get("timestamp") or time.time()))
        if batch:
            call("log_metrics_batch", batch)
        call("flush")

    while True:
        try:
            command = commands.get(timeout=POLL_S)
        except queue.Empty:
            pump()
            continue
        pump()
        op = command.get("op")
        if op == "hparams":
            call("log_hyperparameters", from_json(command["data"]))
            call("flush")
        elif op == "artifact":
            call("log_artifact", command["path"], command.get("name"), command.get("info"))
            call("flush")
        elif op == "sync":
            _emit({"event": "synced", "id": command.get("id")})
        elif op in ("close", "eof"):
            status = command.get("status")
            if status:
                call("finish", status)
            else:
                call("close")
            _save_offset(folder / METADATA_FILE, reader.committed_offset, update_json)
            _emit({"event": "closed", "offset": reader.committed_offset})
            return 0


def _save_offset(metadata: Path, offset: int, update_json: Callable[..., Any]) -> None:
    """Record how far the mirrors got, for the next process that logs to this experiment."""
    try:
        update_json(metadata, lambda meta: {**(meta or {}), "mirror_offset": offset}, {})
    except OSError:
        pass  # the experiment was deleted under us

if __name__ == "__main__":
    sys.exit(main())
