"""The officer's briefing, evaluated on the device: offline, walking into an area of
attention with a notice shows that notice."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.e2e.helpers import Offline, login, sync_now, wait_service_worker, wait_synced
from tests.geo_samples import LAT, LON, box, feature, offset
from tests.live_server import Server


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
    def deliver(title: str) -> None:
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": origin, "registrationId": registration["registrationId"],
            "data": json.dumps({"notice_id": 41, "title": title, "priority": 1,
                                "url": "/#/briefing"})})
        page.wait_for_function("""title => navigator.serviceWorker.ready
            .then(r => r.getNotifications()).then(n => n.some(x => x.title === title))""",
                               arg=title)

    deliver("Let op: inbraakgolf")
    deliver("Let op: inbraakgolf (herhaald)")  # a repeated send replaces it (tag)
    shown = page.evaluate("""() => navigator.serviceWorker.ready.then(r => r.getNotifications())
        .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, data: n.data})))""")
    assert shown == [{"title": "Let op: inbraakgolf (herhaald)", "body": "",
                      "tag": "notice-41", "data": {"url": "/#/briefing", "notice_id": "41"}}]

    # the settings say how push behaves (title on a locked screen, iOS, next sync)
    page.goto("/#/settings")
    section = page.get_by_role("region", name="Meldingen van gebiedsberichten")
    expect(section.get_by_role("button", name="Meldingen aanzetten")).to_be_visible()
    expect(section).to_contain_text("geïnstalleerd")
    expect(section).to_contain_text("volgende synchronisatie")
