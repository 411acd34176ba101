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
def new_context(chromium: Any, live_server: Server) -> Iterator[Any]:
    """Makes browser contexts (one per simulated device), closed after the test."""
    contexts = []

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
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
