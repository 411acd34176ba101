"""Names, not user names, on the officer's screens: a conflict between two officers names
both people and both devices (offline too), the team list names colleagues, a device gets a
recognisable default name that the officer can change and a later login keeps, and the team
leader's officer filter offers the team's members before the queue showed any of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, serve
from tests.e2e.helpers import (
    Offline,
    login,
    new_registration,
    record_id_of,
    sync_now,
    unlock,
    wait_synced,
)
from tests.e2e.review_steps import ANOUK, BRAM, CARLA, SLOW, login_leader

BRAMS_PHONE = "Dienstmobiel Bram"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A server of this module's own: its team list and queue hold only what it made."""
    yield from serve()


def default_name() -> re.Pattern[str]:
    """Browser, platform and the day of the first login (Chromium on Linux here)."""
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).strftime("%d-%m-%Y")
    return re.compile(rf"^Chrome op Linux, sinds {today}$")


def open_settings(page: Page) -> None:
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Instellingen").click()
    expect(page.get_by_role("heading", name="Instellingen")).to_be_visible()


def rename_device(page: Page, name: str) -> None:
    open_settings(page)
    field = page.get_by_label("Naam van dit apparaat")
    expect(field).to_have_value(default_name(), timeout=SLOW)
    field.fill(name)
    page.get_by_role("button", name="Naam opslaan").click()
    expect(page.get_by_role("status").filter(has_text="Dit apparaat heet nu")).to_contain_text(
        name)


def edit(page: Page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.blur()


def test_a_conflict_between_two_officers_names_both_people_and_devices(
        new_context, live_server: Server) -> None:
    anouk = new_context().new_page()
    bram = new_context().new_page()
    login(anouk, "agent1")
    login(bram, "agent2")
    rename_device(bram, BRAMS_PHONE)
    new_registration(anouk, "Verkeersongeval", "Straat", "Oudegracht")
    expect(anouk.locator(".record-meta")).to_be_visible()
    record_id = record_id_of(anouk)
    wait_synced(anouk)

    # Bram's team list names Anouk, never by her user name.
    bram.get_by_role("link", name="Lijst").click()
    bram.get_by_role("link", name="Team", exact=True).click()
    sync_now(bram)
    row = bram.locator(".records li", has_text="Oudegracht")
    expect(row).to_have_count(1, timeout=SLOW)
    expect(row).to_contain_text(f"door {ANOUK}")
    expect(bram.locator("main")).not_to_contain_text("agent1")
    bram.get_by_label("Zoeken").fill("Anouk")  # the search knows the name shown
    expect(bram.locator(".records li")).to_have_count(1)

    # Both change the street offline: a conflict once both have synced.
    offline_a, offline_b = Offline(anouk.context), Offline(bram.context)
    bram.goto(f"/#/r/{record_id}")
    edit(anouk, "Straat", "Neude")
    edit(bram, "Straat", "Vredenburg")
    offline_a.end()
    sync_now(anouk)
    wait_synced(anouk)
    offline_b.end()
    sync_now(bram)
    wait_synced(bram)
    sync_now(anouk)
    wait_synced(anouk)

    # Offline now: the names come from the device's own (encrypted) store.
    Offline(anouk.context)
    Offline(bram.context)
    for page, own in ((anouk, ANOUK), (bram, BRAM)):
        page.reload()  # the key lived in the page: unlock with the PIN again
        unlock(page)
        expect(page.locator(".badge.conflict")).to_be_visible(timeout=SLOW)
        expect(page.get_by_test_id("created-by")).to_contain_text(f"door {ANOUK}")
        for where in (page.locator(".note.conflict"), page.locator(".conflict-note")):
            expect(where).to_contain_text(f"“Neude” van {ANOUK} · ")
            expect(where).to_contain_text(f"“Vredenburg” van {BRAM} · {BRAMS_PHONE}")
        text = page.locator(".note.conflict").inner_text()
        assert "agent1" not in text and "agent2" not in text, text
        first_day = default_name().pattern.strip("^$")
        assert re.search(f"“Neude” van {ANOUK} · {first_day}", text), text
        # This device's own value says so.
        mine = "Neude" if own == ANOUK else "Vredenburg"
        expect(page.locator(".note.conflict li li", has_text=mine)).to_contain_text(
            "(dit apparaat)")


def test_a_renamed_device_keeps_its_name_after_logging_in_again(
        new_context, live_server: Server) -> None:
    page = new_context().new_page()
    login(page, "agent3")
    rename_device(page, "Chromebook bureau")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Uitloggen").click()
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    # Logging in again on the same device sends its default name once more; it stays unused.
    login(page, "agent3")
    open_settings(page)
    expect(page.get_by_label("Naam van dit apparaat")).to_have_value("Chromebook bureau",
                                                                      timeout=SLOW)
    status, body = live_server.api("GET", "/devices", live_server.token("agent3"))
    assert status == 200, body
    names = sorted(d["name"] for d in body["devices"])
    assert names == ["Chromebook bureau", "e2e-check"], names  # one device, not a second


def test_the_officer_filter_offers_the_team_before_the_queue_showed_anyone(
        new_context, live_server: Server) -> None:
    leader = new_context().new_page()
    login_leader(leader)
    wait_synced(leader)
    toggle = leader.get_by_role("button", name="Filters tonen")
    if toggle.count():
        toggle.click()
    officer = leader.get_by_label("Agent", exact=True)
    options = officer.locator("option")
    expect(options.filter(has_text=ANOUK)).to_have_count(1, timeout=SLOW)
    labels = options.all_inner_texts()
    assert labels[0] == "Alle agenten"
    assert set(labels[1:]) >= {ANOUK, BRAM, CARLA}, labels
    assert "Agent Emre Yilmaz" not in labels  # another team's officer
    assert not any(re.fullmatch(r"agent\d|leider\d", label) for label in labels), labels
    officer.select_option(label=BRAM)
    expect(leader).to_have_url(re.compile(r"[?&]agent=agent2\b"))
    expect(leader.get_by_test_id("queue-count")).to_have_text("Er wacht niets op beoordeling.")
