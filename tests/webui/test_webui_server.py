"""The HTTP server and `neural track ui` without a browser: routes, headers, the loopback
guard, clear start-up errors, and the real command serving until Ctrl+C."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys

import pytest
from webui_helpers import REPO, add_experiment

from runner.cli import main
from runner.tracking import ExperimentManager
from runner.webui import ExperimentComparisonUI, WebUIError


def get(url_port: int, path: str, host: str | None = None, method: str = "GET"):
    conn = http.client.HTTPConnection("127.0.0.1", url_port, timeout=10)
    headers = {"Host": host} if host else {}
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def port_of(ui: ExperimentComparisonUI) -> int:
    return int(ui.url.rsplit(":", 1)[1].strip("/"))


def test_page_assets_and_views_are_served(shared_ui, shared_store):
    port = port_of(shared_ui)
    response, body = get(port, "/")
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/html")
    csp = response.getheader("Content-Security-Policy")
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    script = re.search(rb'src="(static/plotly-[^"]+\.min\.js)"', body).group(1).decode()
    response, plotly = get(port, "/" + script)
    assert response.status == 200 and len(plotly) > 1_000_000 and b"plotly" in plotly[:2000]
    assert "immutable" in response.getheader("Cache-Control")
    for asset in ("/static/app.js", "/static/app.css"):
        assert get(port, asset)[0].status == 200
    response, body = get(port, "/api/experiments")
    assert response.getheader("Cache-Control") == "no-store"
    assert len(json.loads(body)["experiments"]) == 5
    ids = ",".join(shared_store[1].values())
    for view in ("metrics", "hyperparameters", "best", "summary"):
        response, body = get(port, f"/api/{view}?ids={ids}")
        assert response.status == 200, body
        assert len(json.loads(body)["experiments"]) == 5
    response, body = get(port, "/api/experiments", method="HEAD")
    assert response.status == 200 and body == b""


def test_unknown_paths_are_404(shared_ui):
    response, body = get(port_of(shared_ui), "/etc/passwd")
    assert response.status == 404 and "no such page" in json.loads(body)["error"]
    assert get(port_of(shared_ui), "/static/../server.py")[0].status == 404


@pytest.mark.parametrize("host,allowed", [
    ("127.0.0.1:1234", True), ("localhost", True), ("[::1]:80", True),
    ("evil.example:8052", False), ("127.0.0.1.nip.io", False), ("", False),
])
def test_loopback_server_refuses_foreign_host_headers(shared_ui, host, allowed):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 gets nothing."""
    response, body = get(port_of(shared_ui), "/api/experiments", host=host or " ")
    assert (response.status == 200) is allowed
    if not allowed:
        assert response.status == 403 and b"experiments" not in body


class BrokenManager(ExperimentManager):
    """A store whose listing fails outright (what a damaged experiment no longer does)."""

    def list_experiments(self, *args, **kwargs):
        raise RuntimeError("the disk went away")


def test_a_failing_store_is_a_500_with_the_reason_and_the_server_survives(store):
    with ExperimentComparisonUI(BrokenManager(store), port=0) as ui:
        response, body = get(port_of(ui), "/api/experiments")
        assert response.status == 500 and "the disk went away" in json.loads(body)["error"]
        assert "traceback" not in json.loads(body)  # only with debug=True
        assert get(port_of(ui), "/")[0].status == 200


def test_a_damaged_experiment_is_listed_as_corrupt_beside_the_healthy_ones(store, ui):
    from tests.damaged_store import DAMAGE, build_damaged_store

    folders = build_damaged_store(store)
    port = port_of(ui)
    response, body = get(port, "/api/experiments")
    assert response.status == 200
    listed = {e["id"]: e for e in json.loads(body)["experiments"]}
    healthy = folders["healthy"].name.rsplit("_", 1)[-1]
    assert listed[healthy]["status"] == "completed" and listed[healthy]["problem"] is None
    for name, (file, reason) in DAMAGE.items():
        entry = listed[folders[name].name.rsplit("_", 1)[-1]]
        assert entry["status"] == "corrupt" and file in entry["problem"]
        assert reason in entry["problem"]
    ids = ",".join(listed)
    for view in ("metrics", "hyperparameters", "best", "summary"):
        response, body = get(port, f"/api/{view}?ids={ids}")
        assert response.status == 200, body
        data = json.loads(body)
        shown = {e["id"] for e in data["experiments"]}
        assert shown == {healthy, folders["huge_step"].name.rsplit("_", 1)[-1]}
        assert len(data["damaged"]) == len(DAMAGE)
    response, body = get(port, f"/api/metrics?ids={healthy},{folders['log_is_dir'].name}")
    assert "metrics.jsonl: is a directory" in json.loads(body)["damaged"][folders["log_is_dir"].name]


def test_debug_sends_tracebacks_and_logs_requests(store, capfd):
    with ExperimentComparisonUI(BrokenManager(store), port=0) as ui:
        ui.stop()
        ui.start(debug=True)
        response, body = get(port_of(ui), "/api/experiments")
    assert response.status == 500 and "RuntimeError" in json.loads(body)["traceback"]
    assert '"GET /api/experiments HTTP/1.1" 500' in capfd.readouterr().err


def test_listening_beyond_loopback_is_explicit_and_accepts_any_host(tmp_path):
    with ExperimentComparisonUI(ExperimentManager(tmp_path), port=0, host="0.0.0.0") as ui:
        assert ui.url.startswith("http://127.0.0.1:")  # where to point a local browser
        response, _ = get(port_of(ui), "/api/experiments", host="my-workstation:8052")
        assert response.status == 200


@pytest.mark.parametrize("port", [-1, 65536, "8052", True, 80.5])
def test_bad_ports_are_refused_before_binding(port, tmp_path):
    with pytest.raises(WebUIError, match="port must be a whole number from 1 to 65535"):
        ExperimentComparisonUI(ExperimentManager(tmp_path), port=port)


def test_port_in_use_and_bad_hosts_are_clear_errors(tmp_path):
    manager = ExperimentManager(tmp_path)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        with pytest.raises(WebUIError, match=f"port {busy} is already in use on 127.0.0.1"):
            ExperimentComparisonUI(manager, port=busy).start()
    with pytest.raises(WebUIError, match="unknown host 'no-such-host.invalid'"):
        ExperimentComparisonUI(manager, port=0, host="no-such-host.invalid").start()
    with pytest.raises(WebUIError, match="not an address of this machine"):
        ExperimentComparisonUI(manager, port=0, host="192.0.2.1").start()


def test_missing_page_files_or_plotly_are_clear_errors(tmp_path, monkeypatch):
    from runner.webui import server

    monkeypatch.setattr(server, "STATIC_DIR", tmp_path / "static")
    with pytest.raises(WebUIError, match=r"index\.html, app\.js, app\.css\) are missing"):
        ExperimentComparisonUI(ExperimentManager(tmp_path), port=0)
    monkeypatch.undo()
    monkeypatch.setattr(server.util, "find_spec", lambda name: None)
    with pytest.raises(WebUIError, match=r"needs plotly .*pip install 'neural-dsl\[webui\]'"):
        ExperimentComparisonUI(ExperimentManager(tmp_path), port=0)


def test_start_stop_and_the_default_loopback_bind(tmp_path):
    ui = ExperimentComparisonUI(ExperimentManager(tmp_path), port=0)
    assert ui.host == "127.0.0.1"
    with ui:
        port = port_of(ui)
        assert ui.url == f"http://127.0.0.1:{port}/"
        assert get(port, "/api/experiments")[0].status == 200
        with pytest.raises(WebUIError, match="already serving"):
            ui.start()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_launch_comparison_ui_is_exported_by_the_tracking_package(tmp_path):
    from runner.tracking import launch_comparison_ui

    with pytest.raises(WebUIError, match="port must be"):
        launch_comparison_ui(tmp_path, port=100000)


# ------------------------------------------------------------------------------- CLI


def test_cli_bad_port_and_port_in_use_are_one_line_errors(tmp_path, capsys):
    assert main(["track", "ui", "--base-dir", str(tmp_path), "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "neural: error: port must be a whole number from 1 to 65535 (0: any free port), "
        "got 70000"]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        assert main(["track", "ui", "--base-dir", str(tmp_path), "--port", str(busy)]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"neural: error: port {busy} is already in use on 127.0.0.1; pick another port "
        "(or stop the program that holds it)"]


def test_cli_serves_the_store_until_ctrl_c(tmp_path):
    store = tmp_path / "experiments"
    add_experiment(store, "from_cli", {"lr": 0.1}, [{"loss": 1.0}])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-m", "runner", "track", "ui", "--port", "0", "--base-dir", str(store)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        lines = [child.stdout.readline(), child.stdout.readline()]
        assert lines[0].startswith(f"Experiment comparison UI for {store.resolve()}")
        port = int(re.search(r"serving at http://127\.0\.0\.1:(\d+)/", lines[1]).group(1))
        listing = json.loads(get(port, "/api/experiments")[1])
        assert [e["name"] for e in listing["experiments"]] == ["from_cli"]
    finally:
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
    assert child.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_python_m_runner_webui_warns_about_a_store_that_does_not_exist_yet(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-m", "runner.webui", "--port", "0", "--base-dir", "nothere"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        assert child.stdout.readline().startswith("Experiment comparison UI for")  # serving
    finally:
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=10)
    assert f"neural: warning: {(tmp_path / 'nothere').resolve()} does not exist yet" in err
    assert child.returncode == 0
