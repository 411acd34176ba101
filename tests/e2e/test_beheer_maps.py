"""The beheerder's maps: drawing an area by clicking corners on the map (with undo) and
saving it, and writing a notice whose point is picked on the map, its radius drawn, or
whose chosen area is shown."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from server.geoinput import in_nl
from tests.e2e.conftest import serve
from tests.e2e.helpers import login_beheerder
from tests.e2e.test_accessibility_and_steps import AXE, serious_violations
from tests.live_server import Server


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    yield from serve()



def test_admin_draws_an_area_and_picks_a_notice_point_on_the_map(
        new_context: Any, live_server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    page = new_context(viewport={"width": 800, "height": 900}).new_page()
    login_beheerder(page)

    page.get_by_role("button", name="Gebied tekenen op de kaart").click()
    draw = page.locator(".draw-map")
    expect(draw.locator(".leaflet-map-pane")).to_have_count(1)
    count = page.get_by_test_id("draw-count")
    expect(count).to_have_text("0 hoekpunten")
    save = page.get_by_role("button", name="Tekening opslaan")
    for x, y in ((80, 70), (300, 70), (300, 220)):
        draw.click(position={"x": x, "y": y})
    draw.click(position={"x": 200, "y": 260})  # a slip: undone
    expect(count).to_have_text("4 hoekpunten")
    page.get_by_role("button", name="Laatste punt weg").click()
    expect(count).to_have_text("3 hoekpunten")
    draw.click(position={"x": 80, "y": 220})
    expect(count).to_have_text("4 hoekpunten")
    expect(draw.locator("path")).not_to_have_count(0)  # the shape so far
    if AXE.exists():  # axe-core comes with npm ci
        assert serious_violations(page) == []

    page.get_by_label("Naam", exact=True).fill(f"Winkelstraat {tag}")
    expect(save).to_be_enabled()
    page.get_by_label("Soort").select_option(label="Aandachtsgebied")
    page.get_by_label("Team", exact=True).select_option(label="Centrum")
    page.get_by_label("Reden").fill("Winkeldiefstal")
    save.click()
    expect(page.get_by_role("status")).to_have_text("Gebied opgeslagen.")
    expect(page.get_by_test_id("area-list").get_by_text(f"Winkelstraat {tag}")).to_be_visible()
    expect(count).to_have_text("0 hoekpunten")  # ready for the next one

    token = live_server.token("beheer1")
    status, body = live_server.api("GET", "/areas", token)
    assert status == 200
    [area] = [a for a in body["features"] if a["properties"]["name"] == f"Winkelstraat {tag}"]
    assert area["properties"]["kind"] == "attention" and area["properties"]["reason"] == \
        "Winkeldiefstal"
    status, teams = live_server.api("GET", "/teams", token)
    assert area["properties"]["team"] == next(t["id"] for t in teams["teams"]
                                              if t["name"] == "Centrum")
    ring = area["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert all(in_nl(lat, lon) for lon, lat in ring)
    # the corners as clicked: a rectangle on screen, so shared latitudes and longitudes
    (w, n), (e, n2), (e2, s), (w2, s2) = ring[:4]
    assert n == n2 and s == s2 and e == e2 and w == w2 and w < e and s < n

    # a notice on a point picked on the map, with its radius drawn
    page.get_by_role("radio", name="Een punt met straal").check()
    pick = page.locator(".pick-map")
    pick.scroll_into_view_if_needed()
    expect(pick.locator(".leaflet-map-pane")).to_have_count(1)
    pick.click(position={"x": 200, "y": 150})
    lat = float(page.get_by_label("Breedtegraad (bijv. 52.0907)").input_value())
    lon = float(page.get_by_label("Lengtegraad (bijv. 5.1214)").input_value())
    assert in_nl(lat, lon)
    circle = pick.locator("path.chosen-area")
    expect(circle).to_have_count(1)
    small = circle.bounding_box()
    page.get_by_label("Straal in meters").fill("600")
    page.wait_for_function("""w => {
        const c = document.querySelector('.pick-map path.chosen-area');
        return c && c.getBoundingClientRect().width > w * 2; }""", arg=small["width"])

    title = f"Fietsendiefstal {tag}"
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Tekst").fill("Let op bij de fietsenstalling.")
    page.get_by_role("button", name="Versturen").click()
    expect(page.get_by_test_id("notice-list").locator("li", has_text=title)).to_be_visible()
    status, notices = live_server.api("GET", "/notices", token)
    [notice] = [n for n in notices["items"] if n["title"] == title]
    assert notice["point"] == {"lat": lat, "lon": lon} and notice["radius_m"] == 600

    # choosing an area shows it on the map instead of the circle
    page.get_by_role("radio", name="Een gebied").check()
    page.get_by_label("Gebied", exact=True).select_option(label=f"Winkelstraat {tag}")
    expect(pick.locator("path.chosen-area")).to_have_count(1)
    pick.click(position={"x": 30, "y": 30})  # a tap does not turn it into a point notice
    expect(page.get_by_label("Gebied", exact=True)).to_have_value(str(area["id"]))
