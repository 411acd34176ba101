"""End-to-end fixtures: the real Flask server on a temporary SQLite database, and Debian's
Chromium driven by Playwright (never a downloaded browser).

Offline is made honest: ``set_offline`` does not cover the service worker's own fetches
(Playwright issue #2311), so ``go_offline`` also aborts every request of the context,
service-worker requests included (``PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS=1``),
and the main offline test stops the server as well.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import PASSWORD as PASSWORD  # re-exported for the e2e tests
from tests.live_server import Server

# Must be set before Playwright starts its driver: routes then see service-worker requests.
os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
PIN = "24681"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(
        reason=f"Chromium not found at {CHROMIUM}: install the Debian package 'chromium' "
               "or set CHROMIUM to run the end-to-end tests")
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remembers on the item whether its test body failed (read by ``new_context``)."""
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


def _describe_pages(contexts: list[Any], errors: list[str]) -> None:
    """What each page showed when a test failed, and the script errors seen: a flaky
    failure in CI then says what the screen said."""
    for number, context in enumerate(contexts):
        for page in context.pages:
            try:
                shown = page.inner_text("body", timeout=2000)
            except Exception as exc:  # a closed or crashed page says why
                shown = f"(not readable: {exc})"
            print(f"--- context {number}, {page.url}\n{shown[:3000]}")
    for error in errors:
        print(f"--- script error: {error}")


def _ensure_built() -> None:
    dist = ROOT / "pwa" / "dist"
    if (dist / "index.html").exists() and (dist / "sw.js").exists():
        return
    npm = shutil.which("npm")
    if not npm:
        pytest.fail("pwa/dist is missing and npm is not installed: run 'npm ci && npm run build'")
    if not (ROOT / "node_modules").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    subprocess.run([npm, "run", "build"], cwd=ROOT, check=True)


def serve(env: dict[str, str] | None = None) -> Iterator[Server]:
    """A server on a database of its own (with ``env`` on top), for the fixture's scope."""
    _ensure_built()
    tmp = tempfile.mkdtemp(prefix="wijkpost-e2e-")
    srv = Server(tmp, env=env)
    srv.start()
    yield srv
    srv.stop()
    srv.log.close()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    yield from serve()


@pytest.fixture
def live_server(server: Server) -> Server:
    """The server, started again if an earlier test left it stopped."""
    if not server.is_up():
        server.start()
    return server


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(request: pytest.FixtureRequest, chromium: Any, live_server: Server
                ) -> Iterator[Any]:
    """Makes browser contexts (one per simulated device), closed after the test; when the
    test failed, it first prints what each page showed and the script errors seen."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(**options: Any) -> Any:
        settings = {
            "base_url": live_server.url,
            "viewport": {"width": 360, "height": 740},
            "locale": "nl-NL",
            "timezone_id": "Europe/Amsterdam",
            "geolocation": {"latitude": 52.0907, "longitude": 5.1214, "accuracy": 8},
            "permissions": ["geolocation"],
            "service_workers": "allow",
            **options,
        }
        context = chromium.new_context(**settings)
        context.set_default_timeout(15000)
        context.on("weberror", lambda error: errors.append(str(error.error)))
        contexts.append(context)
        return context

    yield make
    if request.node.stash.get(FAILED, False):
        _describe_pages(contexts, errors)
    for context in contexts:
        context.close()
