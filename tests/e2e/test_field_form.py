"""The registration form at 360 px: confirmation where the officer looks, a short form
that is short, nothing over a tapped control, 44 px targets, Dutch dates, the location."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import Server
from tests.e2e.field_checks import overlapped_controls, small_targets
from tests.e2e.helpers import login, wait_synced
from tests.e2e.test_accessibility_and_steps import AXE, serious_violations

SCREEN_H = 740


def new_vor(page: Page) -> None:
    page.get_by_role("link", name="+ Nieuwe registratie").click()
    page.get_by_role("button", name="Verkeersongeval").click()
    expect(page.get_by_role("heading", name="Verkeersongeval")).to_be_visible()


def add_party(page: Page, number: int, plate: str) -> None:
    page.get_by_role("button", name="+ Partij toevoegen").click()
    party = page.locator("fieldset.item").nth(number - 1)
    party.get_by_label("Soort verkeersdeelnemer of object").select_option(label="Personenauto")
    plate_field = party.get_by_label("Kenteken", exact=True)
    plate_field.fill(plate)
    plate_field.blur()


def test_short_form_no_overlap_targets_and_confirmation_in_view(
        new_context, live_server: Server, record_property) -> None:
    page = new_context().new_page()
    login(page, "agent1")
    new_vor(page)
    page.get_by_role("button", name="Gebruik mijn locatie").click()
    expect(page.get_by_test_id("accuracy")).to_have_text("nauwkeurigheid ± 8 m")
    page.get_by_label("Uitsluitend materiële schade").click()
    expect(page.get_by_label("Uitsluitend materiële schade")).to_be_checked()
    page.get_by_label("Aard ongeval").select_option(label="Flank")
    add_party(page, 1, "GZ-118-K")
    add_party(page, 2, "4-KLT-27")
    narrative = page.get_by_label("Toedracht (relaas)")
    narrative.fill("Flankaanrijding op de kruising.")
    narrative.blur()

    full = page.evaluate("document.documentElement.scrollHeight")
    page.get_by_role("button", name="Alleen verplichte velden").click()
    expect(page.get_by_role("button", name="Alle velden tonen")).to_have_attribute(
        "aria-pressed", "true")
    short = page.evaluate("document.documentElement.scrollHeight")
    record_property("form_height_full_px", full)
    record_property("form_height_short_px", short)
    print(f"\nVOR with two parties at 360 px: full {full} px, short {short} px")
    assert short < 3 * SCREEN_H, short
    parties = page.locator("fieldset.item")
    expect(parties.nth(0).locator("input, select, textarea")).to_have_count(2)  # type, plate
    expect(page.get_by_text("Foto maken of kiezen")).to_be_visible()

    # Nothing sits over any control, in the short form or the full one.
    assert overlapped_controls(page) == []
    assert small_targets(page) == []
    page.get_by_role("button", name="Alle velden tonen").click()
    assert overlapped_controls(page) == []
    assert small_targets(page) == []

    # "Indienen" asks first; after confirming, the list says so inside the screen.
    page.get_by_role("button", name="Indienen").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Registratie indienen?")).to_be_visible()
    assert small_targets(page) == []
    if AXE.exists():
        assert serious_violations(page) == [], "confirmation"
    dialog.get_by_role("button", name="Nog niet").click()
    expect(dialog).to_have_count(0)
    page.get_by_role("button", name="Indienen").click()
    page.get_by_role("dialog").get_by_role("button", name="Ja, indienen").click()
    expect(page.get_by_role("heading", name="Mijn registraties")).to_be_visible()
    flash = page.locator(".flash")
    expect(flash).to_contain_text("Ingediend voor beoordeling: VOR · Uitsluitend materiële schade")
    expect(flash).to_be_in_viewport(ratio=1)
    box = flash.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SCREEN_H
    expect(flash).not_to_contain_text("zodra er verbinding is")  # it is online
    wait_synced(page)
    row = page.locator(".records li").first
    expect(row).to_contain_text("VOR · Uitsluitend materiële schade")
    expect(row).to_contain_text("Ingediend")


def test_dates_are_dutch_under_an_english_browser(new_context, live_server: Server) -> None:
    page = new_context(locale="en-US").new_page()
    login(page, "agent2")
    new_vor(page)
    when = page.get_by_label("Datum en tijd ongeval")
    shown = page.locator(".field", has=when).get_by_test_id("date-nl")
    expect(shown).to_have_text(re.compile(r"^[a-z]+dag \d{2}-\d{2}-\d{4} \d{2}:\d{2} uur$"))
    when.fill("2026-03-07T21:05")
    when.blur()
    expect(shown).to_have_text("zaterdag 07-03-2026 21:05 uur")
    arrival = page.get_by_label("Tijdstip aankomst politie")
    arrival.fill("21:40")
    arrival.blur()
    expect(page.locator(".field", has=arrival).get_by_test_id("date-nl")).to_have_text("21:40 uur")
    assert "PM" not in page.locator("main").inner_text()


GEOCODE_ANSWER = {"street": "Lange Nieuwstraat", "house_number": "4", "postcode": "3512 PH",
                  "place": "Utrecht"}


def test_location_improves_once_and_fills_the_address(new_context, live_server: Server) -> None:
    context = new_context()
    lookups: list[str] = []

    def geocode(route: Route) -> None:
        lookups.append(route.request.url)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(GEOCODE_ANSWER))

    pushes: list[dict] = []

    def record_push(route: Route) -> None:
        pushes.append(route.request.post_data_json)
        route.continue_()

    context.route("**/api/geocode/reverse?*", geocode)
    context.route("**/api/sync/push", record_push)
    page = context.new_page()
    login(page, "agent1")
    new_vor(page)
    record_id = page.url.split("#/r/")[1].split("?")[0]

    context.set_geolocation({"latitude": 52.0890, "longitude": 5.1230, "accuracy": 80})
    page.get_by_role("button", name="Gebruik mijn locatie").click()
    accuracy = page.get_by_test_id("accuracy")
    expect(accuracy).to_have_text("nauwkeurigheid ± 80 m")
    expect(page.get_by_text("De locatie wordt nog nauwkeuriger gemaakt")).to_be_visible()
    context.set_geolocation({"latitude": 52.0901, "longitude": 5.1221, "accuracy": 25})
    expect(accuracy).to_have_text("nauwkeurigheid ± 25 m")
    context.set_geolocation({"latitude": 52.0907, "longitude": 5.1214, "accuracy": 6})
    expect(accuracy).to_have_text("nauwkeurigheid ± 6 m")
    expect(page.get_by_text("De locatie wordt nog nauwkeuriger gemaakt")).to_have_count(0)

    # The empty address fields come from the lookup; the officer can still edit them.
    expect(page.get_by_label("Straat", exact=True)).to_have_value("Lange Nieuwstraat")
    expect(page.get_by_label("Huisnummer", exact=True)).to_have_value("4")
    expect(page.get_by_label("Plaats", exact=True)).to_have_value("Utrecht")
    assert "lat=52.0907" in lookups[-1] and "lon=5.1214" in lookups[-1]
    house = page.get_by_label("Huisnummer", exact=True)
    house.fill("6")
    house.blur()
    wait_synced(page)

    ops = [op for body in pushes for op in body["ops"] if op["record_id"] == record_id]
    located = [op["set"]["location"] for op in ops if "location" in op["set"]]
    assert located == [{"lat": 52.0907, "lon": 5.1214, "accuracy": 6}], located
    record = next(r for r in live_server.registrations("agent1") if r["id"] == record_id)
    assert record["data"]["street"] == "Lange Nieuwstraat"
    assert record["data"]["house_number"] == "6"

    # Asking again gives a fresh fix, not the cached one.
    context.set_geolocation({"latitude": 52.0911, "longitude": 5.1219, "accuracy": 5})
    page.get_by_role("button", name="Gebruik mijn locatie").click()
    expect(page.locator(".location-value")).to_contain_text("52.091100, 5.121900")


def test_a_hand_placed_pin_wins_and_a_missing_geocoder_is_silent(
        new_context, live_server: Server) -> None:
    context = new_context()
    context.route("**/api/geocode/reverse?*", lambda route: route.fulfill(
        status=502, content_type="text/html", body="<h1>Bad gateway</h1>"))
    page = context.new_page()
    login(page, "agent2")
    new_vor(page)
    context.set_geolocation({"latitude": 52.0890, "longitude": 5.1230, "accuracy": 80})
    page.get_by_role("button", name="Gebruik mijn locatie").click()
    expect(page.get_by_test_id("accuracy")).to_have_text("nauwkeurigheid ± 80 m")
    page.get_by_role("button", name="Pin op kaart aanpassen").click()
    pin_map = page.locator(".pin-map")
    # the map is loaded when its pin shows: a tap before that lands on an empty box
    expect(pin_map.locator(".map-pin")).to_be_visible()
    box = pin_map.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    value = page.locator(".location-value")
    expect(value).not_to_contain_text("52.089000, 5.123000")
    placed = value.inner_text()
    # A better fix arriving now does not move the pin the officer placed.
    context.set_geolocation({"latitude": 52.0700, "longitude": 5.1000, "accuracy": 5})
    page.wait_for_timeout(1500)
    expect(value).to_have_text(placed)
    # The lookup failed: nothing is said and the fields stay empty for the officer.
    expect(page.get_by_label("Straat", exact=True)).to_have_value("")
    expect(page.locator("main .error")).to_have_count(0)
