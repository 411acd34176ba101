"""The officer's briefing, evaluated on the device: offline, walking into an area of
attention with a notice shows that notice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.e2e.helpers import Offline, login, sync_now, wait_synced
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
