"""The officer's own wijk on the map, offline: after a sync the device fetches ahead the
tiles covering team Centrum's demo wijk through the server (here from the stand-in for PDOK
of tests/api/test_pdok.py), resumes an interrupted run without fetching a tile twice,
shows them offline, keeps to the byte cap, and loses them at logout."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
import shapely
from playwright.sync_api import BrowserContext, Page, Route, expect
from shapely.geometry import shape

from server.demo_geo import CENTRUM
from tests.api.test_pdok import StandIn, tiny_png
from tests.e2e.conftest import serve
from tests.e2e.helpers import Offline, login, sync_now, wait_service_worker, wait_synced
from tests.live_server import Server

ZOOMS = range(13, 17)
CACHE = "wijkpost-wijk-tiles"
TILE_BYTES = len(tiny_png())
CAP_TILES = 10  # the capped server keeps room for this many of the stand-in's tiles


@pytest.fixture(scope="module")
def pdok() -> Iterator[str]:
    stand_in = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    StandIn.requests, StandIn.slow, StandIn.empty = [], False, False
    yield f"http://127.0.0.1:{stand_in.server_address[1]}"
    stand_in.shutdown()
    stand_in.server_close()


def _env(pdok: str, megabytes: float) -> dict[str, str]:
    return {"WIJKPOST_TILE_URL": pdok + "/tiles/{z}/{x}/{y}.png",
            "WIJKPOST_OFFLINE_TILES_MIN_ZOOM": str(ZOOMS[0]),
            "WIJKPOST_OFFLINE_TILES_MAX_ZOOM": str(ZOOMS[-1]),
            "WIJKPOST_OFFLINE_TILES_MB": repr(megabytes)}


@pytest.fixture(scope="module")
def server(pdok: str) -> Iterator[Server]:
    yield from serve(_env(pdok, 50))


@pytest.fixture(scope="module")
def capped_server(pdok: str) -> Iterator[Server]:
    yield from serve(_env(pdok, (CAP_TILES + 0.5) * TILE_BYTES / (1024 * 1024)))


def expected_tiles() -> set[str]:
    """Every Web Mercator tile of ZOOMS touching the Centrum wijk (shapely's answer)."""
    wijk = shape(CENTRUM)
    west, south, east, north = wijk.bounds
    out = set()
    for z in ZOOMS:
        n = 2 ** z

        def lat(row: int, n: int = n) -> float:
            return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

        for x in range(int((west + 180) / 360 * n), int((east + 180) / 360 * n) + 1):
            for y in range(n):
                if lat(y + 1) > north or lat(y) < south:
                    continue
                tile = shapely.box(x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y))
                if tile.intersects(wijk):
                    out.add(f"{z}/{x}/{y}")
    return out


def cached(page: Page) -> set[str]:
    urls = page.evaluate(f"""() => caches.has('{CACHE}').then(has => has
        ? caches.open('{CACHE}').then(c => c.keys()).then(k => k.map(r => r.url)) : [])""")
    return {re.search(r"/api/tiles/(\d+/\d+/\d+)\.png$", u).group(1) for u in urls}


def prefetches(context: BrowserContext) -> list[str]:
    """Tile paths the device fetches ahead (the page's requests: the service worker passes
    them on)."""
    seen: list[str] = []

    def on(request: Any) -> None:
        found = re.search(r"/api/tiles/(\d+/\d+/\d+)\.png$", request.url)
        if (found and request.headers.get("x-wijkpost-prefetch") == "1"
                and request.service_worker is None):
            seen.append(found.group(1))

    context.on("request", on)
    return seen


def test_wijk_tiles_resume_show_offline_and_go_at_logout(new_context: Any,
                                                         live_server: Server) -> None:
    expected = expected_tiles()
    finest = {t for t in expected if t.startswith(f"{ZOOMS[-1]}/")}
    assert len(expected) > 20 and finest
    context = new_context()
    seen = prefetches(context)

    def cut(route: Route) -> None:  # the connection drops while the finest level comes
        route.abort("internetdisconnected")

    context.route(re.compile(rf"/api/tiles/{ZOOMS[-1]}/"), cut)
    page = context.new_page()
    login(page, "agent1")
    wait_service_worker(page)
    page.get_by_role("link", name="Briefing").click()
    status = page.get_by_test_id("wijk-map-status")
    expect(status).to_have_attribute("data-state", "paused", timeout=20000)
    expect(status).to_contain_text(f"{len(expected) - len(finest)} van {len(expected)} kaartdelen")
    assert cached(page) == expected - finest

    # Back online: the next sync fetches only what is missing.
    context.unroute(re.compile(rf"/api/tiles/{ZOOMS[-1]}/"), cut)
    seen.clear()
    sync_now(page)
    expect(status).to_have_attribute("data-state", "done", timeout=20000)
    expect(status).to_have_text(re.compile(r"^Kaart van uw wijk offline beschikbaar: \d+ kB$"))
    assert cached(page) == expected
    assert sorted(seen) == sorted(finest)

    # Another sync, and a reload: nothing is fetched again.
    seen.clear()
    page.reload()
    page.get_by_label("Pincode", exact=True).fill("24681")
    page.get_by_role("button", name="Ontgrendelen").click()
    wait_synced(page)
    page.goto("/#/briefing")
    expect(status).to_have_attribute("data-state", "done")
    assert seen == []

    # Offline, the map of the wijk shows the cached tiles.
    offline = Offline(context)
    page.get_by_role("button", name="Kaart tonen").click()
    expect(page.locator(".briefing-map img.leaflet-tile[src^='blob:']").first).to_be_attached()
    shown = page.locator(".briefing-map img.leaflet-tile").count()
    assert shown == page.locator(".briefing-map img.leaflet-tile[src^='blob:']").count()
    offline.end()

    page.goto("/#/logout")
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_label("Gebruikersnaam")).to_be_visible()
    assert page.evaluate(f"() => caches.has('{CACHE}')") is False


def test_the_byte_cap_keeps_the_coarse_levels_and_says_so(new_context: Any,
                                                          capped_server: Server) -> None:
    expected = expected_tiles()
    context = new_context(base_url=capped_server.url)
    seen = prefetches(context)
    page = context.new_page()
    login(page, "agent1")
    page.get_by_role("link", name="Briefing").click()
    status = page.get_by_test_id("wijk-map-status")
    expect(status).to_have_attribute("data-state", "capped", timeout=20000)
    expect(status).to_contain_text("deels offline beschikbaar")
    expect(status).to_contain_text("De grens van 1 kB is bereikt")
    kept = cached(page)
    assert len(kept) == CAP_TILES and kept <= expected
    # coarse first: a finer level only once every coarser tile is in
    for z in ZOOMS:
        if any(t.startswith(f"{z}/") for t in kept):
            assert all(t in kept for t in expected if int(t.split("/")[0]) < z)
    # then it stops: the tile that would not fit, and the few already on their way (four
    # at a time), are dropped
    assert CAP_TILES < len(seen) <= CAP_TILES + 4

    seen.clear()
    sync_now(page)
    wait_synced(page)
    page.wait_for_timeout(500)
    assert seen == [] and cached(page) == kept  # capped: it does not ask again
