"""Fixtures for the comparison UI tests: real experiment stores written by ExperimentTracker,
the real server on a free loopback port, and Debian's headless Chromium driven by
Playwright (never a downloaded browser)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # webui_helpers, without a package

from webui_helpers import CHROMIUM_ARGS, build_store, chromium_binary  # noqa: E402

from runner.tracking import ExperimentManager  # noqa: E402
from runner.webui import ExperimentComparisonUI  # noqa: E402


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A store the read-only tests share (building it once keeps the folder fast)."""
    base = tmp_path_factory.mktemp("shared") / "experiments"
    return base, build_store(base)


@pytest.fixture(scope="module")
def shared_ui(shared_store: tuple[Path, dict[str, str]]) -> Iterator[ExperimentComparisonUI]:
    ui = ExperimentComparisonUI(ExperimentManager(shared_store[0]), port=0)
    ui.start()
    yield ui
    ui.stop()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "experiments"


@pytest.fixture
def ui(store: Path) -> Iterator[ExperimentComparisonUI]:
    """A server of the test's own store, on a free loopback port."""
    server = ExperimentComparisonUI(ExperimentManager(store), port=0)
    server.start()
    yield server
    server.stop()


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module: Playwright's sync API holds an event loop running on the main thread while
    it is open, and every asyncio test after it (tests/tui, when run after this folder) failed
    with "Runner.run() cannot be called from a running event loop"."""
    binary = chromium_binary()
    if binary is None:
        pytest.skip("no Chromium binary (chromium, chromium-browser or $NEURAL_CHROMIUM); "
                    "run scripts/browser-deps.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS,
                                             chromium_sandbox=False, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; any console error, uncaught exception or dialog (an injected
    script's alert) fails the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def dialog(d: Any) -> None:
        problems.append(f"dialog: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    yield page
    context.close()
    assert not problems, problems
