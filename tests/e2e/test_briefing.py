"""Briefings, notices and push in the browser: the officer's briefing evaluated on the
device (offline, walking into an area of attention shows its notice), the service worker's
push handling, and the beheerder's area and notice screens."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.conftest import serve
from tests.e2e.field_checks import push_as
from tests.e2e.helpers import (
    Offline,
    login,
    login_beheerder,
    png_bytes,
    sync_now,
    wait_service_worker,
    wait_synced,
)
from tests.e2e.test_accessibility_and_steps import AXE, serious_violations
from tests.geo_samples import LAT, LON, box, feature, offset
from tests.live_server import Server


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A server of this module's own: what other modules registered stays out of its
    queues, searches and briefings."""
    yield from serve()


def _area_with_notice(live_server: Server, title: str) -> tuple[float, float]:
    """An area of attention for team Centrum 150–350 m north-east of (LAT, LON), with an
    active notice on it; returns a point inside."""
    token = live_server.token("beheer1")
    status, area = live_server.api("POST", "/areas", token, feature(
        box(150, 150, 350, 350), f"Gebied {title[-6:]}", "attention", "Centrum",
        reason="Woninginbraken"))
    assert status == 201, area
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    status, notice = live_server.api("POST", "/notices", token, {
        "title": title, "body": "Let op open ramen en deuren.", "area_id": area["id"],
        "priority": 1, "valid_until": until})
    assert status == 201, notice
    return offset(LAT, LON, 250, 250)


def test_walking_into_an_area_offline_shows_its_notice(new_context: Any,
                                                       live_server: Server) -> None:
    title = f"Inbraakgolf {uuid.uuid4().hex[:6]}"
    inside = _area_with_notice(live_server, title)
    context = new_context()
    page = context.new_page()
    login(page, "agent1")
    sync_now(page)
    wait_synced(page)

    offline = Offline(context)
    page.get_by_role("link", name="Briefing").click()
    expect(page.get_by_role("heading", name="Briefing", exact=True)).to_be_visible()
    items = page.get_by_test_id("briefing-list")
    expect(items).to_be_visible()
    expect(items.get_by_role("heading", name=title)).to_have_count(0)

    context.set_geolocation({"latitude": inside[0], "longitude": inside[1], "accuracy": 5})
    area_tag = title[-6:]
    notice = items.locator(".briefing-item", has=page.get_by_role("heading", name=title))
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Let op open ramen en deuren.")
    expect(notice).to_contain_text("prioriteit Hoog")
    # the area of attention itself is listed below its notice (priority 2)
    headings = items.locator(".briefing-item h3")
    expect(headings.nth(0)).to_have_text(title)
    expect(items.get_by_role("heading", name=f"Gebied {area_tag}")).to_be_visible()

    # back outside: the notice goes
    context.set_geolocation({"latitude": LAT, "longitude": LON, "accuracy": 5})
    expect(items.get_by_role("heading", name=title)).to_have_count(0)

    # the map draws the vectors without tiles (offline: no tile arrives)
    page.get_by_role("button", name="Kaart tonen").click()
    expect(page.locator(".briefing-map path.leaflet-interactive").first).to_be_attached()
    assert all("/api/" not in url or "/api/tiles/" in url for url in offline.attempts)
    offline.end()


def test_push_message_shows_the_title_once_per_notice(new_context: Any,
                                                     live_server: Server) -> None:
    """The service worker's push handling, with a push message delivered through the
    DevTools protocol (a real subscription needs a push service this machine cannot reach)."""
    context = new_context(permissions=["geolocation", "notifications"])
    page = context.new_page()
    login(page, "agent1")
    wait_service_worker(page)

    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)
    origin = live_server.url.rstrip("/")
    registration = next(r for r in registrations if r["scopeURL"].startswith(origin))

    def shown() -> list[dict[str, Any]]:
        return page.evaluate("""() => navigator.serviceWorker.ready
            .then(r => r.getNotifications())
            .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag,
                                          data: n.data})))""")

    def until(check: Any) -> list[dict[str, Any]]:
        """Polls the notifications (each read awaited) until ``check`` holds."""
        for _ in range(100):
            current = shown()
            if check(current):
                return current
            page.wait_for_timeout(100)
        raise AssertionError(f"notifications: {shown()}")

    def deliver(title: str) -> None:
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": origin, "registrationId": registration["registrationId"],
            "data": json.dumps({"notice_id": 41, "title": title, "priority": 1,
                                "url": "/#/briefing"})})
        until(lambda current: any(n["title"] == title for n in current))

    deliver("Let op: inbraakgolf")
    deliver("Let op: inbraakgolf (herhaald)")  # a repeated send replaces it (tag)
    # the replacement settles: one notification, the newer title
    settled = until(lambda current: len(current) == 1)
    assert settled == [{"title": "Let op: inbraakgolf (herhaald)", "body": "",
                        "tag": "notice-41", "data": {"url": "/#/notices/41", "notice_id": "41"}}]

    # the settings say how push behaves (title on a locked screen, iOS, next sync)
    page.goto("/#/settings")
    section = page.get_by_role("region", name="Meldingen van gebiedsberichten")
    expect(section.get_by_role("button", name="Meldingen aanzetten")).to_be_visible()
    expect(section).to_contain_text("geïnstalleerd")
    expect(section).to_contain_text("volgende synchronisatie")



def test_admin_uploads_an_area_writes_a_notice_and_ends_the_area(
        new_context: Any, live_server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    page = new_context().new_page()
    login_beheerder(page)

    # upload an area of attention as pasted GeoJSON
    area = feature(box(-900, -900, -700, -700), f"Markt {tag}", "attention", "Centrum",
                   reason="Zakkenrollers")
    page.get_by_label("Of plak de GeoJSON").fill(json.dumps(area))
    page.get_by_role("button", name="Gebied opslaan").click()
    expect(page.get_by_role("status")).to_have_text("Gebied opgeslagen.")
    areas = page.get_by_test_id("area-list")
    expect(areas.get_by_text(f"Markt {tag}")).to_be_visible()

    # a broken upload names the problem and writes nothing
    page.get_by_label("Of plak de GeoJSON").fill('{"type": "Feature"}')
    page.get_by_role("button", name="Gebied opslaan").click()
    expect(page.get_by_role("alert")).to_contain_text("Ongeldig gebied")

    # a notice on it: the warning about the lock screen, the preview, then send
    expect(page.get_by_text("vergrendeld telefoonscherm")).to_be_visible()
    title = f"Zakkenrollers markt {tag}"
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Tekst").fill("Extra toezicht op zaterdag.")
    page.get_by_label("Gebied", exact=True).select_option(label=f"Markt {tag}")
    page.get_by_label("Prioriteit").select_option(label="Hoog")
    page.get_by_role("button", name="Wie bereikt dit bericht?").click()
    preview = page.get_by_test_id("notice-preview")
    expect(preview).to_contain_text("Teams: Centrum.")
    expect(preview).to_contain_text("Apparaten met meldingen aan: 0")
    page.get_by_role("button", name="Versturen").click()
    notice = page.get_by_test_id("notice-list").locator("li", has_text=title)
    expect(notice).to_contain_text("door de pushdienst aangenomen: 0")

    token = live_server.token("beheer1")
    status, body = live_server.api("GET", "/notices", token)
    stored = next(n for n in body["items"] if n["title"] == title)
    assert stored["priority"] == 1 and stored["body"] == "Extra toezicht op zaterdag."
    assert stored["area_id"] is not None and stored["point"] is None

    # end the area: it stays listed as ended
    page.get_by_role("button", name=f"Gebied Markt {tag} beëindigen").click()
    expect(areas.locator("li", has_text=f"Markt {tag}")).to_contain_text("Beëindigd")
    status, ended = live_server.api("GET", f"/areas/{stored['area_id']}", token)
    assert status == 200 and ended["properties"]["valid_until"] is not None


def _metres_shown(item: Any) -> int:
    found = re.search(r"· (\d+) m", item.locator(".briefing-kind").inner_text())
    assert found, item.inner_text()
    return int(found.group(1))


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run 'npm ci'")
def test_device_distances_match_the_server_and_new_screens_pass_axe(
        new_context: Any, live_server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    title = f"Fietsendiefstal {tag}"
    lat, lon = offset(LAT, LON, 180, -230)
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    status, body = live_server.api("POST", "/notices", live_server.token("beheer1"), {
        "title": title, "body": "Let op bij het station.", "point": {"lat": lat, "lon": lon},
        "radius_m": 400, "priority": 2, "valid_until": until})
    assert status == 201, body
    status, server_view = live_server.api(
        "GET", f"/briefing?lat={LAT}&lon={LON}", live_server.token("agent1"))
    assert status == 200, server_view
    expected = next(i for i in server_view["items"] if i["title"] == title)["distance_m"]

    # a registration of the officer 120 m away, made on another device: listed by distance
    reg_lat, reg_lon = offset(LAT, LON, 120, 0)
    push_as(live_server, "agent1", str(uuid.uuid4()), "pdo", {
        "scene_location": {"lat": reg_lat, "lon": reg_lon, "accuracy": 5}})
    status, server_view = live_server.api(
        "GET", f"/briefing?lat={LAT}&lon={LON}", live_server.token("agent1"))
    registration = next(i for i in server_view["items"] if i["kind"] == "registration")

    context = new_context()
    page = context.new_page()
    login(page, "agent1")
    page.get_by_role("link", name="Briefing").click()
    reg_item = page.get_by_test_id("briefing-list").locator(
        ".briefing-item", has=page.locator(f"a[href='#/r/{registration['id']}']"))
    expect(reg_item).to_contain_text("Registratie")
    reg_shown = _metres_shown(reg_item)
    assert abs(reg_shown - registration["distance_m"]) <= 1, (reg_shown, registration)
    item = page.get_by_test_id("briefing-list").locator(
        ".briefing-item", has=page.get_by_role("heading", name=title))
    expect(item).to_be_visible()
    shown = _metres_shown(item)
    assert abs(shown - expected) <= 1, (shown, expected)
    assert serious_violations(page) == []
    page.get_by_role("button", name="Kaart tonen").click()
    expect(page.locator(".briefing-map path.leaflet-interactive").first).to_be_attached()
    assert serious_violations(page) == []

    page.goto("/#/settings")
    expect(page.get_by_role("heading", name="Meldingen van gebiedsberichten")).to_be_visible()
    assert serious_violations(page) == []

    admin = new_context().new_page()
    login_beheerder(admin)
    expect(admin.get_by_test_id("notice-list")).to_be_visible()
    assert serious_violations(admin) == []


def test_map_tiles_come_through_the_server_are_cached_and_wiped_at_logout(
        new_context: Any) -> None:
    context = new_context()
    seen: list[dict[str, str]] = []

    def tile(route: Route) -> None:  # PDOK is out of reach here: the server's answer, faked
        seen.append(route.request.headers)
        route.fulfill(status=200, content_type="image/png", body=png_bytes(256, 256))

    context.route("**/api/tiles/**", tile)
    page = context.new_page()
    login(page, "agent1")
    wait_service_worker(page)
    page.get_by_role("link", name="Briefing").click()
    page.get_by_role("button", name="Kaart tonen").click()
    expect(page.locator(".briefing-map img.leaflet-tile-loaded").first).to_be_attached()
    assert seen and all(h.get("authorization", "").startswith("Bearer ") for h in seen)
    cached = "() => caches.open('wijkpost-tiles').then(c => c.keys()).then(k => k.length)"
    page.wait_for_function(f"({cached})().then(n => n > 0)")

    page.goto("/#/logout")
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_label("Gebruikersnaam")).to_be_visible()
    assert page.evaluate("() => caches.has('wijkpost-tiles')") is False
