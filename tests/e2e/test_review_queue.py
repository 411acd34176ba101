"""The team leader's queue, through the screens, on registrations set up through the API:
the server's waiting order with the count, "Meer laden", filters (type, officer, open
conflict) that survive opening a registration, and the export of the filtered list."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, serve
from tests.e2e.review_steps import (
    ANOUK,
    BRAM,
    SLOW,
    accident,
    checked,
    crime_scene,
    device,
    in_queue,
    login_leader,
    push_edit,
    push_new,
)
from tests.e2e.test_accessibility_and_steps import AXE

WAITING = 27  # accidents submitted one after another: more than one page of 25


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A server of this module's own: the queue holds only what this module set up."""
    yield from serve()


@pytest.fixture(scope="module")
def seeded(server: Server) -> dict[str, Any]:
    anouk = device(server, "agent1", "Telefoon Anouk")
    bram = device(server, "agent2", "Telefoon Bram")
    # Created first, submitted last: the queue goes by submission, not by creation.
    late = push_new(anouk, accident("Laatstestraat"), submitted=False)
    streets = [f"Wachtstraat {n:02d}" for n in range(1, WAITING + 1)]
    ids = [push_new(anouk, accident(street)) for street in streets]
    burglaries = [push_new(bram, crime_scene(f"Inbraakweg {n}"), "pdo") for n in (1, 2)]
    # Two devices change the same street at once: an open conflict.
    disputed = push_new(anouk, accident("Twistplein"), submitted=False)
    assert push_edit(bram, disputed, {"street": "Twistplein Noord"}, 1)["status"] == "applied"
    assert push_edit(anouk, disputed, {"street": "Twistplein Zuid"}, 1)["status"] == "conflict"
    assert push_edit(anouk, disputed, {"status": "submitted"}, 3)["status"] == "applied"
    assert push_edit(anouk, late, {"status": "submitted"}, 1)["status"] == "applied"
    # Changed after it was submitted: it keeps its place (the oldest waiting).
    assert push_edit(anouk, ids[0], {"narrative": "Aangevuld."}, 1)["status"] == "applied"
    return {"streets": streets, "burglaries": burglaries, "total": WAITING + 4}


def _rows(page: Page) -> list[str]:
    return page.locator(".records li .summary").all_inner_texts()


def _filters(page: Page) -> None:
    toggle = page.get_by_role("button", name="Filters tonen")
    if toggle.count():
        toggle.click()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run 'npm ci'")
def test_queue_order_paging_filters_and_export(new_context, live_server: Server,
                                               seeded: dict[str, Any]) -> None:
    leader = new_context(accept_downloads=True).new_page()
    login_leader(leader)
    in_queue(leader, "Wachtstraat 01")
    expect(leader.get_by_test_id("queue-count")).to_have_text(
        f"{seeded['total']} wachten op beoordeling")
    rows = leader.locator(".records li")
    expect(rows).to_have_count(25)
    # The server's order, oldest submission first, although Wachtstraat 01 was changed
    # last and Laatstestraat was created first.
    assert _rows(leader) == [f"{s}, Utrecht" for s in seeded["streets"][:25]]
    first = rows.first
    expect(first).to_contain_text("VOR · Uitsluitend materiële schade")
    expect(first).to_contain_text(f"door {ANOUK}")
    expect(first).to_contain_text("wacht ")
    checked(leader, "queue")

    leader.get_by_role("button", name="Meer laden").click()
    expect(rows).to_have_count(seeded["total"], timeout=SLOW)
    expect(leader.get_by_role("button", name="Meer laden")).to_have_count(0)
    shown = _rows(leader)
    assert shown[:WAITING] == [f"{s}, Utrecht" for s in seeded["streets"]]
    assert shown[-1] == "Laatstestraat, Utrecht"
    burglary = leader.locator(".records li", has_text="Inbraakweg 1")
    expect(burglary).to_contain_text("PDO · Inbraak woning")
    expect(burglary).to_contain_text(f"door {BRAM}")
    expect(leader.locator(".records li", has_text="Twistplein")).to_contain_text("Conflict")

    # Filters narrow the list on the server.
    _filters(leader)
    leader.get_by_label("Soort").select_option(label="PDO")
    expect(rows).to_have_count(2, timeout=SLOW)
    expect(leader.get_by_test_id("queue-shown")).to_have_text("Met dit filter: 2 registraties.")
    leader.get_by_label("Soort").select_option(label="Alle soorten")
    leader.get_by_label("Agent", exact=True).select_option(label=BRAM)
    expect(rows).to_have_count(2, timeout=SLOW)
    for text in _rows(leader):
        assert text.startswith("Inbraakweg"), text
    leader.get_by_label("Agent", exact=True).select_option(label=ANOUK)
    leader.get_by_text("Alleen met open conflict").click()
    expect(rows).to_have_count(1, timeout=SLOW)
    expect(rows.first).to_contain_text("Twistplein Zuid")
    leader.get_by_role("button", name="Filters wissen").click()
    expect(rows).to_have_count(25, timeout=SLOW)
    # The search looks in the narrative, street and place, on the server.
    leader.get_by_role("searchbox", name="Zoeken in verhaal, straat en plaats").fill("bewoner")
    leader.get_by_role("button", name="Zoeken", exact=True).click()
    expect(rows).to_have_count(2, timeout=SLOW)
    expect(rows.first).to_contain_text("Inbraakweg")
    leader.get_by_role("button", name="Filters wissen").click()
    expect(rows).to_have_count(25, timeout=SLOW)
    expect(leader.get_by_role("searchbox")).to_have_value("")

    # A filter survives opening a registration and coming back, by link and by "back".
    _filters(leader)
    leader.get_by_label("Soort").select_option(label="PDO")
    expect(rows).to_have_count(2, timeout=SLOW)
    checked(leader, "queue with filters")
    rows.filter(has_text="Inbraakweg 2").get_by_role("link").click()
    expect(leader.get_by_role("heading", name="Plaats delict onderzoek")).to_be_visible(
        timeout=SLOW)
    leader.get_by_role("link", name="← Terug naar de lijst").click()
    expect(leader.get_by_label("Soort")).to_have_value("pdo")
    expect(rows).to_have_count(2, timeout=SLOW)
    rows.filter(has_text="Inbraakweg 1").get_by_role("link").click()
    expect(leader.get_by_role("heading", name="Plaats delict onderzoek")).to_be_visible(
        timeout=SLOW)
    leader.go_back()
    expect(leader.get_by_label("Soort")).to_have_value("pdo")
    expect(rows).to_have_count(2, timeout=SLOW)

    # The export takes the list's filter (type PDO, status submitted) and is a real file.
    expect(leader.locator(".export-panel")).to_contain_text(
        "Met het filter van de lijst: PDO, status ingediend.")
    with leader.expect_download(timeout=SLOW) as download:
        leader.get_by_role("button", name="Exporteren").click()
    path = download.value.path()
    assert download.value.suggested_filename.startswith("wijkpost-export-pdo-")
    assert download.value.suggested_filename.endswith(".csv")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle, delimiter=";"))
    assert sorted(r["Id"] for r in table) == sorted(seeded["burglaries"])
    assert {r["Status"] for r in table} == {"Ingediend"}
    expect(leader.locator(".export-status")).to_contain_text("2 registraties", timeout=SLOW)
    checked(leader, "queue after export")
    # BRON holds accidents only: with the list on PDO the app says so, in Dutch.
    leader.get_by_label("Bestandsformaat").select_option(value="bron")
    leader.get_by_role("button", name="Exporteren").click()
    expect(leader.locator(".export-panel").get_by_role("alert")).to_contain_text(
        "BRON bevat alleen verkeersongevallen")
