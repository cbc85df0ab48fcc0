"""The comparison UI's HTTP server: one page, its assets, and a JSON view per tab.

Standard library only (ThreadingHTTPServer): the page draws its charts with the plotly.js
bundled in the plotly wheel, served from this process, so nothing is fetched from the
internet. Every /api request reads the store afresh through ExperimentManager.

It listens on 127.0.0.1 unless told otherwise. While it listens on a loopback address it
also refuses requests whose Host header is not a loopback name, so a web page the user
visits cannot read the experiments through DNS rebinding.
"""

from __future__ import annotations

import errno
import http.server
import ipaddress
import json
import os
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from importlib import metadata, util
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from runner.tracking.manager import ExperimentManager
from runner.webui.data import VIEWS, experiment_list

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8052
STATIC_DIR = Path(__file__).with_name("static")
_ASSETS = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
# plotly.js injects <style> elements, hence 'unsafe-inline' for styles only.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'")


class WebUIError(Exception):
    """The UI cannot start: bad port or host, port in use, plotly missing. One-line message."""


def plotly_js() -> tuple[Path, str]:
    """(path of plotly.min.js inside the installed plotly package, plotly's version)."""
    spec = util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise WebUIError("the comparison UI needs plotly for its charts: "
                         "pip install 'neural-dsl[webui]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise WebUIError(f"plotly is installed but has no {path.name} ({path}); reinstall it")
    return path, metadata.version("plotly")


def check_static() -> None:
    missing = [n for n in ("index.html", *_ASSETS) if not (STATIC_DIR / n).is_file()]
    if missing:
        raise WebUIError(f"the page's files ({', '.join(missing)}) are missing from {STATIC_DIR}; "
                         "this install of neural-dsl is incomplete: reinstall it")


def check_port(port: Any) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise WebUIError(f"port must be a whole number from 1 to 65535 (0: any free port), "
                         f"got {port!r}")
    return port


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind_error(host: str, port: int, exc: OSError) -> WebUIError:
    where = f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return WebUIError(f"cannot listen on {where}: unknown host {host!r}")
    reasons = {
        errno.EADDRINUSE: f"port {port} is already in use on {host}; pick another port "
                          "(or stop the program that holds it)",
        errno.EACCES: f"permission denied to listen on {where} (ports below 1024 need root)",
        errno.EADDRNOTAVAIL: f"cannot listen on {where}: {host} is not an address of this "
                             "machine",
    }
    return WebUIError(reasons.get(exc.errno, f"cannot listen on {where}: "
                                             f"{exc.strerror or exc}"))


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    ui: ExperimentComparisonUI

    def __init__(self, host: str, port: int, ui: ExperimentComparisonUI) -> None:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        self.address_family = infos[0][0]
        self.ui = ui
        super().__init__(infos[0][4][:2], _Handler)

    def server_bind(self) -> None:  # HTTPServer's does a reverse DNS lookup; not needed
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    server_version = "neural-webui"
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive connection frees its thread after this

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, head: bool) -> None:
        ui = self.server.ui
        if not ui.host_allowed(self.headers.get("Host", "")):
            self._send_json(403, {"error": "this server only answers requests for "
                                           "localhost / 127.0.0.1"}, head)
            return
        url = urlsplit(self.path)
        try:
            route = ui.route(url.path)
            if route is None:
                self._send_json(404, {"error": f"no such page: {url.path}"}, head)
                return
            status, content_type, body, cache = route(parse_qs(url.query))
        except Exception as exc:  # the page shows the message; the console the traceback
            traceback.print_exc(file=sys.stderr)
            message = f"{type(exc).__name__}: {exc}"
            payload = {"error": f"the server failed to read the store ({message})"}
            if ui.debug:
                payload["traceback"] = traceback.format_exc()
            self._send_json(500, payload, head)
            return
        self._send(status, content_type, body, head, cache)

    def _send_json(self, status: int, payload: Any, head: bool) -> None:
        self._send(status, "application/json", _json_bytes(payload), head, "no-store")

    def _send(self, status: int, content_type: str, body: bytes | Path, head: bool,
              cache: str) -> None:
        size = body.stat().st_size if isinstance(body, Path) else len(body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(size))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if content_type.startswith("text/html"):
            self.send_header("Content-Security-Policy", _CSP)
        self.end_headers()
        if head:
            return
        try:
            if isinstance(body, Path):
                with open(body, "rb") as f:
                    while chunk := f.read(1 << 16):
                        self.wfile.write(chunk)
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the tab was closed or reloaded
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.ui.debug:
            super().log_message(format, *args)


def _json_bytes(payload: Any) -> bytes:
    # NaN/inf are None by the time they get here (data.py); allow_nan=False proves it.
    return json.dumps(payload, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


Response = tuple[int, str, "bytes | Path", str]


class ExperimentComparisonUI:
    """The web UI comparing the experiments of one store.

    `run()` serves until Ctrl+C; `start()` / `stop()` (or `with ui:`) serve from a
    background thread, for notebooks and tests. Port 0 picks a free port (see `url`).
    """

    def __init__(self, manager: ExperimentManager | None = None, port: int = DEFAULT_PORT,
                 host: str = DEFAULT_HOST) -> None:
        self.manager = manager if manager is not None else ExperimentManager()
        self.port = check_port(port)
        self.host = host
        self.debug = False
        check_static()
        self._plotly_path, plotly_version = plotly_js()
        self._plotly_url = f"static/plotly-{plotly_version}.min.js"
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[str, Callable[[dict[str, list[str]]], Response]] = {
            "/": self._page, "/index.html": self._page,
            "/api/experiments": self._experiments,
            "/" + self._plotly_url: self._plotly,
            **{f"/static/{name}": self._asset(name) for name in _ASSETS},
            **{f"/api/{view}": self._view(view) for view in VIEWS},
        }

    # ------------------------------------------------------------------- routes

    def route(self, path: str) -> Callable[[dict[str, list[str]]], Response] | None:
        return self._routes.get(path)

    def _page(self, _query: dict[str, list[str]]) -> Response:
        text = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        body = text.replace("{{PLOTLY_JS}}", self._plotly_url).encode("utf-8")
        return 200, "text/html; charset=utf-8", body, "no-cache"

    def _asset(self, name: str) -> Callable[[dict[str, list[str]]], Response]:
        def serve(_query: dict[str, list[str]]) -> Response:
            return 200, _ASSETS[name], STATIC_DIR / name, "no-cache"
        return serve

    def _plotly(self, _query: dict[str, list[str]]) -> Response:
        # The URL carries plotly's version, so the browser may keep it.
        return 200, "text/javascript; charset=utf-8", self._plotly_path, \
            "public, max-age=31536000, immutable"

    def _experiments(self, _query: dict[str, list[str]]) -> Response:
        return 200, "application/json", _json_bytes(experiment_list(self.manager)), "no-store"

    def _view(self, name: str) -> Callable[[dict[str, list[str]]], Response]:
        view = VIEWS[name]

        def serve(query: dict[str, list[str]]) -> Response:
            ids = [i for value in query.get("ids", []) for i in value.split(",") if i]
            return 200, "application/json", _json_bytes(view(self.manager, ids)), "no-store"
        return serve

    # ------------------------------------------------------------------ serving

    def host_allowed(self, header: str) -> bool:
        """Any Host when listening beyond loopback; loopback names only otherwise."""
        if not is_loopback(self.host):
            return True
        name = header.rsplit(":", 1)[0] if not header.endswith("]") else header
        return is_loopback(name)

    @property
    def url(self) -> str:
        """Where the page is; with port 0, the real port once serving."""
        port = self._server.server_port if self._server else self.port
        host = self.host if self.host not in ("0.0.0.0", "::", "") else DEFAULT_HOST
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"

    def _bind(self, host: str | None) -> _Server:
        if self._server is not None:
            raise WebUIError(f"the comparison UI is already serving at {self.url}")
        if host is not None:
            self.host = host
        if not self.host:
            raise WebUIError("host must not be empty (use 127.0.0.1 for this machine only)")
        try:
            self._server = _Server(self.host, self.port, self)
        except OSError as exc:
            raise _bind_error(self.host, self.port, exc) from None
        except UnicodeError:
            raise WebUIError(f"cannot listen on {self.host}:{self.port}: "
                             f"invalid host name {self.host!r}") from None
        return self._server

    def run(self, debug: bool = False, host: str | None = None) -> None:
        """Serve until Ctrl+C. debug: log every request and send tracebacks to the page."""
        self.debug = debug
        server = self._bind(host)
        try:  # from here on, Ctrl+C is a normal way to stop
            print(f"Experiment comparison UI for {self.manager.base_dir.resolve()}\n"
                  f"  serving at {self.url}  (Ctrl+C to stop)", flush=True)
            if not is_loopback(self.host):
                print(f"  note: listening on {self.host}: anyone who can reach this machine "
                      "can read these experiments", flush=True)
            server.serve_forever(poll_interval=0.25)
        except KeyboardInterrupt:
            print("stopped", flush=True)
        finally:
            server.server_close()
            self._server = None

    def start(self, debug: bool = False, host: str | None = None) -> str:
        """Serve from a daemon thread; returns the URL."""
        self.debug = debug
        server = self._bind(host)
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="neural-webui", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> ExperimentComparisonUI:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def launch_comparison_ui(base_dir: str | os.PathLike[str] | None = None,
                         port: int = DEFAULT_PORT, debug: bool = False,
                         host: str = DEFAULT_HOST) -> None:
    """Serve the comparison UI for the experiments in `base_dir` until Ctrl+C."""
    ExperimentComparisonUI(ExperimentManager(base_dir), port=port, host=host).run(debug=debug)
