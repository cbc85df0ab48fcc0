"""`workspace/executeCommand`: compile (in process, no ML framework), train and Run HPO
(the runner CLI in a subprocess, with work-done progress and cancellation).

Contract with the VS Code extension (vscode-extension/src/commands.ts, results.ts):
  neural.server.runHpo  [uri, network|null, trials|null] -> {best_value, best_params,
                         optimized_text, optimized_uri, trials, results_path}
  neural.server.compile [uri, backend, network|null]     -> {path}
  neural.server.train   [uri, network|null]              -> {metrics, experiment_dir}
"""

from __future__ import annotations

import asyncio
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcRequestCancelled
from pygls.uris import from_fs_path, to_fs_path

from neural_lsp.core import jobs
from neural_lsp.core.advertised import COMPILE, RUN_HPO, TRAIN
from neural_lsp.core.progress import WorkDone

BACKENDS = ("pytorch", "tensorflow")
REQUEST_FAILED = -32803  # LSPErrorCodes.RequestFailed: the client shows the message


class CommandFailed(JsonRpcException):
    """A command that could not do its job; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=REQUEST_FAILED)


# ---------------------------------------------------------------------- arguments
def _args(params: types.ExecuteCommandParams, names: list[str]) -> list[Any]:
    got = list(params.arguments or [])
    if not got or len(got) > len(names):
        raise JsonRpcInvalidParams(f"{params.command} takes [{', '.join(names)}], got {got!r}")
    return got + [None] * (len(names) - len(got))


def _uri(v: Any, command: str) -> str:
    if not isinstance(v, str) or not v:
        raise JsonRpcInvalidParams(f"{command}: the first argument is the document uri, got {v!r}")
    return v


def _network_arg(v: Any, command: str) -> str | None:
    if v is not None and not isinstance(v, str):
        raise JsonRpcInvalidParams(f"{command}: network is a name or null, got {v!r}")
    return v or None


@dataclass(slots=True)
class Source:
    uri: str
    path: Path | None  # the file on disk (None: not a file)
    text: str
    analysis: Any
    network: Any  # NetworkIR

    def runnable_file(self) -> Path:
        """The file the runner reads: the source itself when saved, else a snapshot of the
        editor's text in a temporary directory (the runner never sees stale text)."""
        if self.path is not None:
            try:
                if self.path.read_text(encoding="utf-8") == self.text:
                    return self.path
            except OSError:
                pass
        import tempfile  # (not at start-up: it brings shutil, random, the compressors)

        folder = Path(tempfile.mkdtemp(prefix="neural-lsp-"))
        name = self.path.name if self.path is not None else "untitled.neural"
        snap = folder / name
        snap.write_text(self.text, encoding="utf-8")
        return snap

    def workdir(self, roots: list[str]) -> str:
        return workdir(str(self.path) if self.path is not None else None, roots)


def workdir(path: str | None, roots: list[str]) -> str:
    """Where the runner works (and keeps neural_experiments/) for a file: the workspace
    folder holding it, else its folder."""
    if path is None:
        import tempfile  # (not at start-up: it brings shutil, random, the compressors)

        return roots[0] if roots else tempfile.gettempdir()
    for root in roots:
        try:
            if Path(path).resolve().is_relative_to(Path(root).resolve()):
                return root
        except (OSError, ValueError):
            continue
    return str(Path(path).parent)


async def _source(ls, uri: str, network: str | None, command: str) -> Source:
    path_s = to_fs_path(uri) if uri.startswith("file:") else None
    path = Path(path_s) if path_s else None
    if uri in ls.documents.docs:
        snap = await ls.documents.snapshot(uri)
        text, analysis = snap.text, snap.analysis
    elif path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandFailed(f"cannot read {path}: {exc}") from None
        from compiler.analysis import analyze

        analysis = await asyncio.get_running_loop().run_in_executor(ls.documents.executor, analyze, text)
    else:
        raise CommandFailed(f"{uri} is neither open nor a file")
    if analysis.errors:
        first = analysis.errors[0]
        where = analysis.index.position(first.start)
        raise CommandFailed(f"the program has {len(analysis.errors)} error(s); first at line "
                            f"{where.line + 1}: {first.code} {first.message}")
    net = analysis.network(network)
    if net is None:
        from compiler.model import missing_network

        raise CommandFailed(missing_network(analysis.networks, network))
    return Source(uri, path, text, analysis, net)


def roots(ls) -> list[str]:
    roots = []
    try:
        for f in ls.workspace.folders.values():
            p = to_fs_path(f.uri)
            if p:
                roots.append(p)
        if ls.workspace.root_path:
            roots.append(ls.workspace.root_path)
    except RuntimeError:
        pass
    return roots


# ---------------------------------------------------------------------- compile
async def compile_command(ls, params: types.ExecuteCommandParams) -> dict:
    uri, backend, network = _args(params, ["uri", "backend", "network"])
    uri = _uri(uri, COMPILE)
    if backend not in BACKENDS:
        raise JsonRpcInvalidParams(f"{COMPILE}: backend is one of {', '.join(BACKENDS)}, got {backend!r}")
    src = await _source(ls, uri, _network_arg(network, COMPILE), COMPILE)
    if src.path is None:
        raise CommandFailed("save the file first: the generated code is written beside it")
    label = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}[backend]
    progress = WorkDone(ls, params.work_done_token)
    await progress.begin(f"Compile {src.network.name} to {label}")
    try:
        try:
            from compiler.codegen import CodegenError, compiled_path, generate_code
        except ImportError as exc:
            raise CommandFailed(f"code generation is not available: {exc}") from None
        loop = asyncio.get_running_loop()
        try:
            # From the text: the open document's analysis may be updated in place meanwhile.
            code = await loop.run_in_executor(ls.documents.executor, generate_code,
                                              src.text, backend, src.network.name)
        except CodegenError as exc:
            detail = "; ".join(f"{d.code} {d.message}" for d in exc.diagnostics[:3])
            raise CommandFailed(f"cannot compile to {label}: {exc}" + (f" ({detail})" if detail else "")) from None
        out = compiled_path(src.path, backend)
        try:
            tmp = out.with_name(f".{out.name}.tmp")
            tmp.write_text(code, encoding="utf-8")
            os.replace(tmp, out)
        except OSError as exc:
            raise CommandFailed(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        progress.end()
    if ls.capability("window.show_document.support"):
        try:
            await asyncio.wait_for(ls.window_show_document_async(types.ShowDocumentParams(
                uri=from_fs_path(str(out)), take_focus=True)), 10)
        except Exception as exc:  # showing is a courtesy; the file is written
            ls.log(f"window/showDocument failed: {exc!r}")
    return {"path": str(out)}


# ---------------------------------------------------------------------- train
def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) and math.isfinite(v) else str(v)


async def train_command(ls, params: types.ExecuteCommandParams) -> dict:
    uri, network = _args(params, ["uri", "network"])
    src = await _source(ls, _uri(uri, TRAIN), _network_arg(network, TRAIN), TRAIN)
    name = src.network.name
    progress = WorkDone(ls, params.work_done_token)

    def on_event(e: dict) -> None:
        if e.get("event") == "epoch":
            epoch, epochs = e.get("epoch"), e.get("epochs")
            metrics = e.get("metrics") or {}
            shown = ", ".join(f"{k} {_fmt(v)}" for k, v in metrics.items() if k != "epoch_time")
            pct = int(100 * epoch / epochs) if isinstance(epoch, int) and isinstance(epochs, int) and epochs else None
            progress.report(f"epoch {epoch}/{epochs}" + (f", {shown}" if shown else ""), pct)

    argv = jobs.runner_argv("run", str(src.runnable_file()), "--network", name, "--progress-json",
                            *_store_args(ls, src.uri))
    result = await _run_job(ls, progress, argv, src.workdir(roots(ls)), f"Train {name}", on_event)
    done = result.last("result")
    if done is not None:
        return {"metrics": done.get("metrics") or {}, "experiment_dir": str(done.get("experiment_dir") or "")}
    if result.cancelled:
        raise JsonRpcRequestCancelled("training cancelled")
    raise CommandFailed(f"training {name} failed: {result.error_text()}")


# ---------------------------------------------------------------------- HPO
async def run_hpo_command(ls, params: types.ExecuteCommandParams) -> dict:
    uri, network, trials = _args(params, ["uri", "network", "trials"])
    if trials is not None and (not isinstance(trials, int) or isinstance(trials, bool) or trials < 1):
        raise JsonRpcInvalidParams(f"{RUN_HPO}: trials is a positive integer or null, got {trials!r}")
    src = await _source(ls, _uri(uri, RUN_HPO), _network_arg(network, RUN_HPO), RUN_HPO)
    name = src.network.name
    if not src.network.space or not len(src.network.space):
        raise CommandFailed(f"network {name} has no HPO expression to search")
    progress = WorkDone(ls, params.work_done_token)
    seen: list[dict] = []

    def on_event(e: dict) -> None:
        if e.get("event") != "trial":
            return
        seen.append(e)
        n = e.get("n_trials")
        best = e.get("best_value")
        state = str(e.get("state", "")).lower()
        note = f" ({state})" if state and state != "complete" else ""
        msg = f"trial {len(seen)}/{n}{note}" + (f", best {_fmt(best)}" if best is not None else "")
        progress.report(msg, int(100 * len(seen) / n) if isinstance(n, int) and n > 0 else None)

    argv = jobs.runner_argv("run", str(src.runnable_file()), "--network", name, "--hpo", "--progress-json",
                            *_store_args(ls, src.uri))
    if trials is not None:
        argv += ["--trials", str(trials)]
    cwd = src.workdir(roots(ls))
    result = await _run_job(ls, progress, argv, cwd, f"HPO {name}", on_event)
    done = result.last("result")
    if done is not None and done.get("best_value") is not None:
        return _hpo_answer(src, done, cwd)
    complete = [e for e in seen if str(e.get("state")).upper() == "COMPLETE" and e.get("value") is not None]
    if result.cancelled and complete:
        # Stopped early: the best trial so far is the answer (nothing written by the runner).
        best = complete[-1].get("best_value")
        pick = next((e for e in complete if e.get("value") == best), None) or complete[-1]
        return _hpo_answer(src, {"best_value": pick["value"], "best_params": pick.get("params") or {},
                                 "trials": len(seen)}, cwd)
    if result.cancelled:
        raise JsonRpcRequestCancelled("HPO cancelled before a trial completed")
    if done is not None:
        raise CommandFailed(f"no trial of {name} completed ({len(seen)} ran)")
    raise CommandFailed(f"HPO of {name} failed: {result.error_text()}")


def _hpo_answer(src: Source, done: dict, cwd: str) -> dict:
    best_params = done.get("best_params") or {}
    opt_path = done.get("optimized_path")
    text = None
    uri = ""
    if opt_path:
        p = Path(opt_path) if os.path.isabs(opt_path) else Path(cwd) / opt_path
        try:
            text = p.read_text(encoding="utf-8")
            uri = from_fs_path(str(p)) or ""
        except OSError:
            text = None
    if text is None:
        from compiler.render import substitute

        try:
            text, _a = substitute(src.text, best_params, src.network.name)
        except (KeyError, ValueError) as exc:
            raise CommandFailed(f"cannot write the optimized program: {exc}") from None
    results = done.get("results_path") or ""
    if results and not os.path.isabs(results):
        results = str(Path(cwd) / results)
    return {
        "best_value": done.get("best_value"),
        "best_params": best_params,
        "optimized_text": text,
        "optimized_uri": uri,
        "trials": done.get("trials") or 0,
        "results_path": results,
    }


# ---------------------------------------------------------------------- running
def _store_args(ls, uri: str) -> list[str]:
    """`--base-dir` of the store the editor reads this document's results from, so a run
    started here lands where its lens and hovers look (the `neural.experiments.baseDir`
    setting, else $NEURAL_EXPERIMENTS_DIR, else beside the file)."""
    base = ls.results.base_for(uri)
    return ["--base-dir", base] if base else []


async def _run_job(ls, progress: WorkDone, argv: list[str], cwd: str, title: str,
                   on_event) -> jobs.JobResult:
    def on_output(line: str) -> None:
        ls.log(f"[{title}] {line}", types.MessageType.Log)

    job = jobs.Job(argv, cwd, on_event=on_event, on_output=on_output)
    progress.on_cancel = job.cancel
    ls.jobs.add(job)
    await progress.begin(title, "starting…", cancellable=True)
    ls.log(f"[{title}] {' '.join(argv)} (in {cwd})", types.MessageType.Log)
    try:
        result = await job.run()
    except OSError as exc:
        raise CommandFailed(f"cannot start the runner: {exc}") from None
    finally:
        ls.jobs.discard(job)
        progress.end("cancelled" if job.cancelled else "done")
    return result


COMMANDS = {
    RUN_HPO: run_hpo_command,
    COMPILE: compile_command,
    TRAIN: train_command,
}
