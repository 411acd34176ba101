"""The protocol conformance suite runs against a server URL.

``WIJKPOST_CONFORMANCE_URL`` names a running server (``make conformance URL=...``) that has
the demo logins of ``seed-demo`` (password ``wijkpost-demo``); without it the suite starts
the app itself (gunicorn on a temporary SQLite database), as ``make test`` does.
The suite logs in each demo user a few times only, inside the default login rate limit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator

import pytest

from tests.live_server import PASSWORD, Server
from tests.protocol.client import Device

URL = os.environ.get("WIJKPOST_CONFORMANCE_URL", "").rstrip("/")


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    if URL:
        yield URL
        return
    tmp = tempfile.mkdtemp(prefix="wijkpost-protocol-")
    # Small limits, so the limit rules can be shown with a few devices (PROTOCOL.md §3).
    srv = Server(tmp, pwa=False, env={"WIJKPOST_MAX_GROUP_ITEMS": "5",
                                      "WIJKPOST_MAX_CONFLICT_VALUES": "3",
                                      "WIJKPOST_MAX_RECORD_BYTES": "16384"})
    srv.start()
    yield srv.url
    srv.stop()
    srv.log.close()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def devices(base_url: str) -> Callable[[str, str], Device]:
    """Signed-in devices, one login per (user, device name) for the whole session."""
    made: dict[tuple[str, str], Device] = {}

    def get(username: str, device_name: str = "telefoon") -> Device:
        key = (username, device_name)
        if key not in made:
            device = Device(base_url, username, PASSWORD, f"conformance {device_name}")
            reply = device.login()
            assert reply.status == 200, (reply.status, reply.body)
            made[key] = device
        return made[key]

    return get


@pytest.fixture(scope="session")
def forms(devices: Callable[[str, str], Device]) -> dict[str, object]:
    reply = devices("agent1", "telefoon").call("GET", "/api/forms")
    assert reply.status == 200
    return reply.body
