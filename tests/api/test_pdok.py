"""Tiles and reverse geocoding through the server, against a stand-in for PDOK on
127.0.0.1 serving recorded answers (no internet here)."""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import Api
from tests.geo_samples import LAT, LON

RECORDED = os.path.join(os.path.dirname(__file__), "..", "data", "locatieserver_reverse.json")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


class StandIn(BaseHTTPRequestHandler):
    requests: list[str] = []
    slow = False
    empty = False

    def do_GET(self) -> None:  # noqa: N802
        StandIn.requests.append(self.path)
        if StandIn.slow:
            time.sleep(1.5)
        if self.path.startswith("/tiles/"):
            body, kind = tiny_png(), "image/png"
        elif self.path.startswith("/reverse"):
            with open(RECORDED, "rb") as handle:
                body = handle.read()
            if StandIn.empty:
                body = b'{"response":{"numFound":0,"docs":[]}}'
            kind = "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)  # after a timeout the server has hung up

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def pdok(app: Any, tmp_path: Any) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    StandIn.requests, StandIn.slow, StandIn.empty = [], False, False
    app.config.update(TILE_URL=base + "/tiles/{z}/{x}/{y}.png", GEOCODE_URL=base + "/reverse",
                      PDOK_TIMEOUT_S=0.5, TILE_CACHE_DIR=str(tmp_path / "tiles"))
    yield base
    server.shutdown()
    server.server_close()


# Zoom 15 tile over the centre of Utrecht
UTRECHT_TILE = "/api/tiles/15/16850/10820.png"


def test_tile_is_fetched_once_then_served_from_the_cache(pdok: str, agent1: Api) -> None:
    first = agent1.get(UTRECHT_TILE)
    assert first.status_code == 200 and first.data == tiny_png()
    assert first.headers["Content-Type"] == "image/png"
    assert first.headers["Cache-Control"].startswith("private")
    again = agent1.get(UTRECHT_TILE)
    assert again.status_code == 200 and again.data == first.data
    assert StandIn.requests == ["/tiles/15/16850/10820.png"]


def test_tiles_need_a_login_and_stay_in_the_netherlands(pdok: str, agent1: Api,
                                                       client: Any) -> None:
    assert client.get(UTRECHT_TILE).status_code == 401
    assert agent1.get("/api/tiles/15/16384/10900.png").status_code == 422  # Null Island
    assert agent1.get("/api/tiles/3/4/2.png").status_code == 422  # zoom too coarse
    assert agent1.get("/api/tiles/20/1/1.png").status_code == 422
    assert agent1.get("/api/tiles/15/99999/10820.png").status_code == 422
    assert StandIn.requests == []


def test_reverse_geocode_returns_the_address(pdok: str, agent1: Api) -> None:
    response = agent1.get(f"/api/geocode/reverse?lat={LAT}&lon={LON}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"street": "Domplein", "house_number": "9A",
                                   "postcode": "3512JC", "place": "Utrecht",
                                   "distance_m": 11.2}
    [asked] = StandIn.requests
    assert f"lat={LAT:.6f}" in asked and "type=adres" in asked
    StandIn.empty = True
    assert agent1.get(f"/api/geocode/reverse?lat={LAT}&lon={LON}").status_code == 404


def test_reverse_geocode_refuses_points_outside_the_netherlands(pdok: str,
                                                                agent1: Api) -> None:
    assert agent1.get("/api/geocode/reverse?lat=48.85&lon=2.35").status_code == 422
    assert agent1.get("/api/geocode/reverse?lat=x&lon=2.35").status_code == 422
    assert StandIn.requests == []


def test_slow_or_unreachable_pdok_gets_504_or_502(pdok: str, app: Any, agent1: Api) -> None:
    StandIn.slow = True
    started = time.monotonic()
    slow = agent1.get(f"/api/geocode/reverse?lat={LAT}&lon={LON}")
    assert slow.status_code == 504 and "PDOK" in slow.get_json()["message"]
    assert agent1.get(UTRECHT_TILE).status_code == 504
    assert time.monotonic() - started < 3
    StandIn.slow = False
    app.config.update(GEOCODE_URL="http://127.0.0.1:9/reverse",
                      TILE_URL="http://127.0.0.1:9/{z}/{x}/{y}.png")
    down = agent1.get(f"/api/geocode/reverse?lat={LAT}&lon={LON}")
    assert down.status_code == 502 and "niet bereikbaar" in down.get_json()["message"]
    assert agent1.get(UTRECHT_TILE).status_code == 502


def test_tile_cache_is_trimmed_oldest_first(tmp_path: Any) -> None:
    from server.pdok import _trim

    for index in range(10):
        path = tmp_path / f"{index}.png"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1000 + index, 1000 + index))
    _trim(str(tmp_path), 5000)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i}.png" for i in range(6, 10)]


def test_offline_tiles_settings_within_the_proxys_zoom_levels(app: Any, agent1: Api,
                                                             client: Any) -> None:
    assert client.get("/api/tiles/offline").status_code == 401
    assert agent1.get("/api/tiles/offline").get_json() == {
        "max_bytes": 50 * 1024 * 1024, "min_zoom": 12, "max_zoom": 18}
    app.config.update(OFFLINE_TILES_MB=0.25, OFFLINE_TILES_MIN_ZOOM=3,
                      OFFLINE_TILES_MAX_ZOOM=25, TILE_MAX_ZOOM=17)
    assert agent1.get("/api/tiles/offline").get_json() == {
        "max_bytes": 262144, "min_zoom": 6, "max_zoom": 17}
